// Stage 1 of the image store: content-addressed blobs under blobs/sha256/<hex>. A blob appears there
// only after its size and digest matched what the descriptor promised; until then it lives in tmp/ as
// <hex>.partial, guarded by a lock so that two pulls of the same image share one download.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "digest.hpp"
#include "file_lock.hpp"
#include "store_paths.hpp"
#include "unique_fd.hpp"

namespace skiff::image {

// One blob being written. Bytes are hashed as they arrive; commit() checks size and digest, fsyncs and
// renames into place. Destroying an uncommitted ingest removes the partial file, unless keep_partial()
// was called (a transfer that may be resumed with Range).
class BlobIngest {
 public:
  BlobIngest(const StorePaths& paths, Digest expected, int64_t expected_size, FileLock lock);
  ~BlobIngest();
  BlobIngest(const BlobIngest&) = delete;
  BlobIngest& operator=(const BlobIngest&) = delete;

  // Bytes already on disk from an earlier, interrupted transfer (re-hashed when the ingest opened).
  int64_t offset() const { return written_; }
  const Digest& expected() const { return expected_; }
  int64_t expected_size() const { return size_; }
  void write(const void* data, size_t n);
  // Throws away what was written (a server that ignored Range, or a corrupt partial).
  void restart();
  // Verifies and publishes the blob. Throws Error naming both digests on a mismatch (the partial is
  // removed: those bytes are wrong, resuming them would not help).
  void commit();
  void keep_partial() { keep_ = true; }

  // Also sends every byte written from now on to `fd` (a stream socket; the layer extraction reads the
  // other end while the blob arrives). The tee breaks, and stays broken, when the transfer starts over
  // after bytes went out or the reader goes away; the bytes on disk are unaffected. After the last byte
  // of a blob of known size the socket is shut for writing, so the reader ends while commit() fsyncs.
  void tee_to(int fd) { tee_fd_ = fd; }
  // Every byte of the blob went through the tee, in order: what the reader got is the whole blob.
  bool tee_complete() const { return tee_fd_ >= 0 && !tee_broken_ && tee_bytes_ == written_; }

 private:
  StorePaths paths_;
  Digest expected_;
  int64_t size_;
  FileLock lock_;
  std::string partial_;
  UniqueFd fd_;
  Sha256 hash_;
  int64_t written_ = 0;
  bool committed_ = false;
  bool keep_ = false;
  int tee_fd_ = -1;
  int64_t tee_bytes_ = 0;
  bool tee_broken_ = false;
};

class BlobStore {
 public:
  explicit BlobStore(StorePaths paths) : paths_(std::move(paths)) {}
  const StorePaths& paths() const { return paths_; }

  bool has(const Digest& d) const;
  std::string path(const Digest& d) const { return paths_.blob(d); }
  int64_t size(const Digest& d) const;  // -1 if absent
  // Reads a small blob (manifest, config). Re-verifies its digest: these documents decide what else
  // we trust, and a cache damaged on disk must not be believed.
  std::string read(const Digest& d) const;
  // Stores an in-memory blob after checking it against `d` (and `size` when >= 0).
  void put(const Digest& d, std::string_view data, int64_t size = -1);
  // Stores a blob whose digest we computed ourselves (documents we generate).
  Digest put_new(std::string_view data);

  // Starts writing blob `d`. Waits while another process writes the same blob; returns nullptr if the
  // blob is (then) already present.
  std::unique_ptr<BlobIngest> begin(const Digest& d, int64_t size) const;
  // Copies a blob from a file (OCI layout import), verifying it on the way.
  void import_file(const Digest& d, int64_t size, const std::string& src) const;
  void import_fd(const Digest& d, int64_t size, int fd, const std::string& what) const;
  // Writes everything read from `fd` into `ingest` (from its start) and commits it.
  static void copy_into(BlobIngest& ingest, int fd, const std::string& what);

  bool remove(const Digest& d) const;

 private:
  StorePaths paths_;
};

}  // namespace skiff::image
