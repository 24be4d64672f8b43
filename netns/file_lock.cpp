#include "file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include "error.hpp"

namespace skiff::net {

FileLock::FileLock(const std::string& path) {
  // Each FileLock opens its own description, so threads of one process exclude each other too.
  fd_ = UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd_) throw_errno("open lock " + path);
  while (::flock(fd_.get(), LOCK_EX) < 0) {
    if (errno != EINTR) throw_errno("lock " + path);
  }
}

}  // namespace skiff::net
