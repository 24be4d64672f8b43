// Terminals for process.terminal. The pty pair comes from the ptmx we are pointed at (the container's own
// devpts instance), the slave is opened with TIOCGPTPEER so that nothing can swap /dev/pts/N under us
// between unlockpt and open, and the master travels to --console-socket as go-runc's console socket
// expects it: one message, the pty name as data, the fd in SCM_RIGHTS.
#include "console.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

namespace skiff {
namespace {

// What go-runc's and runc's receivers read as the name: they allocate this much for it.
constexpr size_t kMaxNameLen = 4096;

}  // namespace

Pty open_pty(const std::string& ptmx_path, const std::optional<spec::ConsoleSize>& size) {
  Pty pty;
  pty.master = UniqueFd(::open(ptmx_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.master) throw_errno("open " + ptmx_path);
  int unlock = 0;
  if (::ioctl(pty.master.get(), TIOCSPTLCK, &unlock) < 0) throw_errno("unlockpt " + ptmx_path);
  unsigned index = 0;
  if (::ioctl(pty.master.get(), TIOCGPTN, &index) < 0) throw_errno("TIOCGPTN " + ptmx_path);
  pty.slave_path = "/dev/pts/" + std::to_string(index);

  int slave = ::ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0 && (errno == EINVAL || errno == ENOTTY)) {
    // Kernels before 4.13 lack TIOCGPTPEER: open by name, next to the ptmx we were given.
    std::string dir = ptmx_path.substr(0, ptmx_path.rfind('/'));
    std::string by_name = (dir.size() >= 4 && dir.compare(dir.size() - 4, 4, "/pts") == 0 ? dir : "/dev/pts") +
                          "/" + std::to_string(index);
    slave = ::open(by_name.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  }
  if (slave < 0) throw_errno("open the slave of " + ptmx_path);
  pty.slave = UniqueFd(slave);

  if (size) {
    struct winsize ws = {};
    ws.ws_row = static_cast<unsigned short>(size->height);
    ws.ws_col = static_cast<unsigned short>(size->width);
    if (::ioctl(pty.master.get(), TIOCSWINSZ, &ws) < 0) throw_errno("set the window size of " + pty.slave_path);
  }
  return pty;
}

void send_fd(int sock_fd, int fd, const std::string& name) {
  // A stream socket carries no ancillary data without at least one byte of data: an empty name goes
  // as a single NUL, which recv_fd turns back into "".
  const std::string data = name.empty() ? std::string(1, '\0') : name;
  if (data.size() > kMaxNameLen) throw Error("send fd: name longer than " + std::to_string(kMaxNameLen) + " bytes");
  struct iovec iov = {const_cast<char*>(data.data()), data.size()};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t n;
  do {
    n = ::sendmsg(sock_fd, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("send fd");
  // A short write on a stream socket would split the name across two messages; the receiver reads one.
  if (static_cast<size_t>(n) != data.size()) throw Error("send fd: short write");
}

void send_console_fd(const std::string& socket_path, int master_fd, const std::string& name) {
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) throw_errno("console socket: socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  // sun_path holds 107 bytes and a NUL; a longer path is reached through an O_PATH fd of the socket
  // file and its /proc/self/fd name, which is short.
  UniqueFd path_fd;
  std::string target = socket_path;
  if (socket_path.size() >= sizeof addr.sun_path) {
    path_fd = UniqueFd(::open(socket_path.c_str(), O_PATH | O_CLOEXEC));
    if (!path_fd) throw_errno("console socket " + socket_path);
    target = "/proc/self/fd/" + std::to_string(path_fd.get());
  }
  std::memcpy(addr.sun_path, target.c_str(), target.size() + 1);
  int rc;
  do {
    rc = ::connect(sock.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) throw_errno("connect to console socket " + socket_path);
  try {
    send_fd(sock.get(), master_fd, name);
  } catch (const Error& e) {
    throw Error("console socket " + socket_path + ": " + e.what());
  }
}

UniqueFd recv_fd(int sock_fd, std::string* name) {
  std::string data(kMaxNameLen, '\0');
  struct iovec iov = {data.data(), data.size()};
  // Room for a few fds: a sender that passes more than one must not leave the extras open in our table.
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(sock_fd, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("receive fd");

  UniqueFd received;
  int extra = 0;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (!received) {
        received.reset(fd);
      } else {
        ::close(fd);
        ++extra;
      }
    }
  }
  if (n == 0 && !received) throw Error("receive fd: the peer closed the connection without sending one");
  if (msg.msg_flags & MSG_CTRUNC) throw Error("receive fd: control data truncated");
  if (!received) throw Error("receive fd: the message carried no file descriptor");
  if (extra) throw Error("receive fd: expected one file descriptor, got " + std::to_string(extra + 1));
  data.resize(static_cast<size_t>(n));
  if (data.size() == 1 && data[0] == '\0') data.clear();
  if (name) *name = std::move(data);
  return received;
}

int make_controlling_terminal(int fd) noexcept {
  // A fresh session has no controlling terminal, so TIOCSCTTY can take this one. EPERM means we already
  // lead a session (or a process group); TIOCSCTTY then says whether that is good enough.
  if (::setsid() < 0 && errno != EPERM) return -errno;
  if (::ioctl(fd, TIOCSCTTY, 0) < 0) return -errno;
  for (int target = 0; target <= 2; ++target) {
    if (fd == target) {
      // dup2 onto itself keeps FD_CLOEXEC: clear it so the terminal survives exec.
      int flags = ::fcntl(fd, F_GETFD);
      if (flags < 0 || ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0) return -errno;
      continue;
    }
    if (::dup2(fd, target) < 0) return -errno;
  }
  return 0;
}

}  // namespace skiff
