// FileLock: an flock(2) on a lock file, held for the object's lifetime; the kernel drops it when the
// holder dies, even by kill -9. Shared by every store that serialises writers across processes (image
// store, network state). A lock file can be removed when its holder is done (release_and_remove:
// unlink-while-locked, and a holder re-checks after locking that the path still names the file it
// locked), so an idle image store has no stray lock files; otherwise it stays for the next holder.
#pragma once

#include <string>

#include "unique_fd.hpp"

namespace skiff {

class FileLock {
 public:
  enum class Mode { kShared, kExclusive };
  FileLock() = default;
  // Blocks until the lock is held. Creates the file (not its directory).
  static FileLock acquire(const std::string& path, Mode mode = Mode::kExclusive);
  // Returns an empty lock (false) if someone else holds it.
  static FileLock try_acquire(const std::string& path, Mode mode = Mode::kExclusive);
  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;
  ~FileLock();

  explicit operator bool() const { return static_cast<bool>(fd_); }
  // Unlinks the lock file (only with an exclusive lock) and releases it.
  void release_and_remove();

 private:
  static FileLock lock(const std::string& path, Mode mode, bool wait);
  std::string path_;
  UniqueFd fd_;
  bool exclusive_ = false;
};

}  // namespace skiff
