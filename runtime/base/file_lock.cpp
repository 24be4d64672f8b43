#include "file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "error.hpp"

namespace skiff {

FileLock FileLock::lock(const std::string& path, Mode mode, bool wait) {
  for (;;) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) throw_errno("open lock " + path);
    int op = (mode == Mode::kExclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
    int rc;
    while ((rc = ::flock(fd.get(), op)) < 0 && errno == EINTR) {
    }
    if (rc < 0) {
      if (errno == EWOULDBLOCK && !wait) return FileLock();
      throw_errno("lock " + path);
    }
    // The previous holder may have unlinked the file after we opened it: then our lock guards nothing.
    struct stat a {
    }, b{};
    if (::fstat(fd.get(), &a) < 0) throw_errno("stat lock " + path);
    if (::stat(path.c_str(), &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev) continue;
    FileLock l;
    l.path_ = path;
    l.fd_ = std::move(fd);
    l.exclusive_ = mode == Mode::kExclusive;
    return l;
  }
}

FileLock FileLock::acquire(const std::string& path, Mode mode) {
  return lock(path, mode, true);
}
FileLock FileLock::try_acquire(const std::string& path, Mode mode) {
  return lock(path, mode, false);
}

void FileLock::release_and_remove() {
  if (fd_ && exclusive_) ::unlink(path_.c_str());
  fd_.reset();
}

FileLock::~FileLock() = default;

}  // namespace skiff
