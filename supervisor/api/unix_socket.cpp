#include "api/unix_socket.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstring>

#include "error.hpp"
#include "file_util.hpp"

namespace skiff::api {
namespace {

sockaddr_un address(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof a.sun_path)
    throw Error(ENAMETOOLONG,
                "socket path \"" + path + "\" (at most " + std::to_string(sizeof a.sun_path - 1) + " bytes)");
  std::memcpy(a.sun_path, path.data(), path.size());
  return a;
}

}  // namespace

UniqueFd connect_unix(const std::string& path) {
  sockaddr_un a = address(path);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket");
  int rc;
  while ((rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a)) < 0 && errno == EINTR) {
  }
  if (rc < 0) throw_errno("connect " + path);
  return fd;
}

UniqueFd listen_unix(const std::string& path, int backlog) {
  sockaddr_un a = address(path);
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) mkdir_all(path.substr(0, slash), 0755);
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) throw Error(EEXIST, path + " exists and is not a socket; not replacing it");
    bool live = false;
    try {
      connect_unix(path);
      live = true;
    } catch (const Error&) {
      // ECONNREFUSED: a socket file left by a supervisor that died; safe to replace.
    }
    if (live) throw Error(EADDRINUSE, "another skiff supervise is serving " + path);
    if (::unlink(path.c_str()) < 0) throw_errno("remove stale socket " + path);
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket");
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) throw_errno("bind " + path);
  // Until listen() a connect is refused, so nobody gets in while the mode is still the umask's.
  if (::chmod(path.c_str(), 0600) < 0) {
    int e = errno;
    ::unlink(path.c_str());
    throw Error(e, "chmod 0600 " + path);
  }
  if (::listen(fd.get(), backlog) < 0) {
    int e = errno;
    ::unlink(path.c_str());
    throw Error(e, "listen " + path);
  }
  return fd;
}

Peer peer_of(int fd) {
  ucred c{};
  socklen_t len = sizeof c;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &len) < 0) throw_errno("SO_PEERCRED");
  return {c.pid, c.uid, c.gid};
}

}  // namespace skiff::api
