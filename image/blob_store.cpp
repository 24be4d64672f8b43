#include "blob_store.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "error.hpp"
#include "file_util.hpp"

namespace skiff::image {

namespace {

void fsync_dir(const std::string& dir) {
  UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d) ::fsync(d.get());
}

// False when the reader has gone (EPIPE, no SIGPIPE) or the socket fails otherwise.
bool send_all(int fd, const void* data, size_t n) {
  auto* p = static_cast<const char*>(data);
  while (n) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

BlobIngest::BlobIngest(const StorePaths& paths, Digest expected, int64_t expected_size, FileLock lock)
    : paths_(paths), expected_(std::move(expected)), size_(expected_size), lock_(std::move(lock)) {
  partial_ = paths_.tmp() + "/" + std::string(expected_.hex()) + ".partial";
  fd_ = UniqueFd(::open(partial_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd_) throw_errno("open " + partial_);
  // A partial file left by an interrupted pull (killed, link dropped): hash what is there so the
  // transfer can resume with Range. More bytes than the descriptor allows means it is garbage.
  struct stat st {};
  if (::fstat(fd_.get(), &st) < 0) throw_errno("stat " + partial_);
  if (st.st_size > 0 && (size_ < 0 || st.st_size <= size_)) {
    std::vector<char> buf(1 << 20);
    int64_t left = st.st_size;
    while (left > 0) {
      ssize_t n = ::read(fd_.get(), buf.data(), std::min<int64_t>(left, buf.size()));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      hash_.update(buf.data(), static_cast<size_t>(n));
      left -= n;
      written_ += n;
    }
    if (left != 0) restart();
  } else if (st.st_size > 0) {
    restart();
  }
}

BlobIngest::~BlobIngest() {
  if (!committed_ && !keep_) ::unlink(partial_.c_str());
  fd_.reset();
  lock_.release_and_remove();
}

void BlobIngest::restart() {
  if (tee_bytes_ > 0) tee_broken_ = true;  // the reader already has bytes that are now taken back
  if (::ftruncate(fd_.get(), 0) < 0) throw_errno("truncate " + partial_);
  if (::lseek(fd_.get(), 0, SEEK_SET) < 0) throw_errno("seek " + partial_);
  hash_.finish();  // resets
  written_ = 0;
}

void BlobIngest::write(const void* data, size_t n) {
  if (size_ >= 0 && written_ + static_cast<int64_t>(n) > size_)
    throw Error("blob " + expected_.str() + ": more data than the descriptor's " + std::to_string(size_) +
                " bytes");
  write_all(fd_.get(), std::string_view(static_cast<const char*>(data), n), partial_);
  hash_.update(data, n);
  if (tee_fd_ >= 0 && !tee_broken_) {
    if (tee_bytes_ != written_ || !send_all(tee_fd_, data, n))
      tee_broken_ =
          true;  // a gap (resumed partial) or the reader stopped: it must not see a stream with a hole
    else
      tee_bytes_ += static_cast<int64_t>(n);
  }
  written_ += static_cast<int64_t>(n);
  // The last byte: the reader can finish its work while commit() fsyncs the blob.
  if (tee_fd_ >= 0 && !tee_broken_ && size_ >= 0 && written_ == size_) ::shutdown(tee_fd_, SHUT_WR);
}

void BlobIngest::commit() {
  if (size_ >= 0 && written_ != size_) {
    keep_ = written_ < size_;  // a short transfer can still be resumed
    throw Error("blob " + expected_.str() + ": truncated: got " + std::to_string(written_) + " of " +
                std::to_string(size_) + " bytes");
  }
  Digest got = hash_.finish();
  if (got != expected_) {
    keep_ = false;
    throw Error("blob digest mismatch: expected " + expected_.str() + ", got " + got.str());
  }
  if (::fsync(fd_.get()) < 0) throw_errno("fsync " + partial_);
  if (::fchmod(fd_.get(), 0644) < 0) throw_errno("chmod " + partial_);
  std::string dest = paths_.blob(expected_);
  if (::rename(partial_.c_str(), dest.c_str()) < 0) throw_errno("rename " + partial_ + " to " + dest);
  fsync_dir(paths_.blobs());
  committed_ = true;
}

bool BlobStore::has(const Digest& d) const {
  struct stat st {};
  return ::stat(path(d).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

int64_t BlobStore::size(const Digest& d) const {
  struct stat st {};
  if (::stat(path(d).c_str(), &st) < 0) return -1;
  return st.st_size;
}

std::string BlobStore::read(const Digest& d) const {
  std::string data = skiff::read_file(path(d));
  Digest got = sha256_of(data);
  if (got != d)
    throw Error("blob " + d.str() + " in the store is damaged: its content hashes to " + got.str());
  return data;
}

void BlobStore::put(const Digest& d, std::string_view data, int64_t size) {
  if (size >= 0 && static_cast<int64_t>(data.size()) != size)
    throw Error("blob " + d.str() + ": expected " + std::to_string(size) + " bytes, got " +
                std::to_string(data.size()));
  auto ingest = begin(d, static_cast<int64_t>(data.size()));
  if (!ingest) return;
  if (ingest->offset()) ingest->restart();
  ingest->write(data.data(), data.size());
  ingest->commit();
}

Digest BlobStore::put_new(std::string_view data) {
  Digest d = sha256_of(data);
  put(d, data);
  return d;
}

std::unique_ptr<BlobIngest> BlobStore::begin(const Digest& d, int64_t size) const {
  if (has(d)) return nullptr;
  paths_.ensure();
  auto lock = FileLock::acquire(paths_.tmp() + "/" + std::string(d.hex()) + ".lock");
  if (has(d)) return nullptr;  // someone finished it while we waited
  return std::make_unique<BlobIngest>(paths_, d, size, std::move(lock));
}

void BlobStore::copy_into(BlobIngest& ingest, int fd, const std::string& what) {
  if (ingest.offset()) ingest.restart();
  // 256 KiB reads: the tee's reader (an extraction) gets pieces that fit the CPU's cache.
  std::unique_ptr<char[]> buf(new char[256 << 10]);
  for (;;) {
    ssize_t n = ::read(fd, buf.get(), 256 << 10);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read " + what);
    }
    if (n == 0) break;
    ingest.write(buf.get(), static_cast<size_t>(n));
  }
  ingest.commit();
}

void BlobStore::import_fd(const Digest& d, int64_t size, int fd, const std::string& what) const {
  if (auto ingest = begin(d, size)) copy_into(*ingest, fd, what);
}

void BlobStore::import_file(const Digest& d, int64_t size, const std::string& src) const {
  if (has(d)) return;
  UniqueFd fd(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open " + src);
  import_fd(d, size, fd.get(), src);
}

bool BlobStore::remove(const Digest& d) const {
  return ::unlink(path(d).c_str()) == 0;
}

}  // namespace skiff::image
