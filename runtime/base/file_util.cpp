#include "file_util.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "error.hpp"
#include "unique_fd.hpp"

namespace skiff {

std::string read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open " + path);
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

bool try_write_all(int fd, const void* data, size_t n) {
  auto* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return false;
    if (w == 0) {
      errno = EIO;  // a write that takes nothing would loop forever
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

void write_all(int fd, std::string_view data, const std::string& what) {
  if (!try_write_all(fd, data.data(), data.size())) throw_errno("write " + what);
}

void write_file_atomic(const std::string& path, std::string_view data, unsigned mode, Durability durability) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) throw_errno("create " + tmp);
  try {
    write_all(fd.get(), data, tmp);
    if (durability == Durability::kDurable && ::fsync(fd.get()) < 0) throw_errno("fsync " + tmp);
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) < 0) throw_errno("rename " + tmp + " to " + path);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (durability == Durability::kVolatile) return;
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd) ::fsync(dfd.get());
}

void mkdir_all(const std::string& path, unsigned mode) {
  if (path.empty()) return;
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;
    if (errno == EEXIST) throw Error(ENOTDIR, "mkdir " + path);
  }
  if (errno != ENOENT) throw_errno("mkdir " + path);
  auto slash = path.find_last_not_of('/');
  slash = path.rfind('/', slash);
  if (slash != std::string::npos && slash > 0) mkdir_all(path.substr(0, slash), mode);
  if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST) throw_errno("mkdir " + path);
}

void remove_all(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) throw Error(ec.value(), "remove " + path);
}

}  // namespace skiff
