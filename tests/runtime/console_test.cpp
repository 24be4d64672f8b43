// Terminals: pty pairs from /dev/ptmx, window sizes, fd passing over unix sockets as go-runc expects,
// and taking a controlling terminal.
#include "console.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <thread>

#include "error.hpp"

using skiff::Error;
using skiff::Pty;
using skiff::UniqueFd;

namespace {

dev_t rdev_of(int fd) {
  struct stat st;
  if (::fstat(fd, &st) < 0) return 0;
  return st.st_rdev;
}

struct SocketPair {
  UniqueFd a, b;
  SocketPair() {
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0) {
      a.reset(sp[0]);
      b.reset(sp[1]);
    }
  }
};

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/skiff-console-XXXXXX";
    path = ::mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// What was written on one side of a pty, read back on the other (canonical mode: one line).
std::string through(int from, int to, const std::string& line) {
  if (::write(from, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return "write failed";
  char buf[256];
  ssize_t n = ::read(to, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "read failed";
}

}  // namespace

TEST(Pty, OpensAPairFromPtmx) {
  Pty pty = skiff::open_pty("/dev/ptmx", std::nullopt);
  ASSERT_TRUE(pty.master);
  ASSERT_TRUE(pty.slave);
  EXPECT_TRUE(::isatty(pty.slave.get()));
  EXPECT_EQ(pty.slave_path.rfind("/dev/pts/", 0), 0u) << pty.slave_path;
  // slave_path names the very device the slave fd is.
  struct stat st;
  ASSERT_EQ(::stat(pty.slave_path.c_str(), &st), 0) << pty.slave_path;
  EXPECT_EQ(st.st_rdev, rdev_of(pty.slave.get()));
  char name[64];
  ASSERT_EQ(::ptsname_r(pty.master.get(), name, sizeof name), 0);
  EXPECT_EQ(pty.slave_path, name);
  // Both ends are close-on-exec: nothing leaks into the container's program by accident.
  EXPECT_TRUE(::fcntl(pty.master.get(), F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(::fcntl(pty.slave.get(), F_GETFD) & FD_CLOEXEC);
  EXPECT_EQ(through(pty.master.get(), pty.slave.get(), "hello\n"), "hello\n");
}

TEST(Pty, AppliesTheWindowSize) {
  Pty pty = skiff::open_pty("/dev/ptmx", skiff::spec::ConsoleSize{37, 141});
  struct winsize ws = {};
  ASSERT_EQ(::ioctl(pty.slave.get(), TIOCGWINSZ, &ws), 0);
  EXPECT_EQ(ws.ws_row, 37);
  EXPECT_EQ(ws.ws_col, 141);
}

TEST(Pty, EachCallIsANewPair) {
  Pty a = skiff::open_pty("/dev/ptmx", std::nullopt);
  Pty b = skiff::open_pty("/dev/ptmx", std::nullopt);
  EXPECT_NE(a.slave_path, b.slave_path);
  EXPECT_NE(rdev_of(a.slave.get()), rdev_of(b.slave.get()));
}

TEST(Pty, MissingPtmxIsAnError) {
  try {
    skiff::open_pty("/nonexistent/ptmx", std::nullopt);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "open /nonexistent/ptmx: No such file or directory");
  }
}

TEST(FdPassing, RoundTripsTheSamePty) {
  Pty pty = skiff::open_pty("/dev/ptmx", std::nullopt);
  SocketPair s;
  ASSERT_TRUE(s.a);
  skiff::send_fd(s.a.get(), pty.master.get(), pty.slave_path);
  std::string name;
  UniqueFd got = skiff::recv_fd(s.b.get(), &name);
  ASSERT_TRUE(got);
  EXPECT_NE(got.get(), pty.master.get());
  EXPECT_EQ(name, pty.slave_path);
  EXPECT_EQ(rdev_of(got.get()), rdev_of(pty.master.get()));
  EXPECT_TRUE(::fcntl(got.get(), F_GETFD) & FD_CLOEXEC);
  // The same open file: the pty's slave hears what the received master writes.
  pty.master.reset();
  EXPECT_EQ(through(got.get(), pty.slave.get(), "via socket\n"), "via socket\n");
}

TEST(FdPassing, EmptyNameRoundTrips) {
  Pty pty = skiff::open_pty("/dev/ptmx", std::nullopt);
  SocketPair s;
  skiff::send_fd(s.a.get(), pty.master.get(), "");
  std::string name = "unchanged";
  UniqueFd got = skiff::recv_fd(s.b.get(), &name);
  EXPECT_EQ(name, "");
  EXPECT_EQ(rdev_of(got.get()), rdev_of(pty.master.get()));
}

TEST(FdPassing, PeerClosingWithoutAnFdIsAnError) {
  SocketPair s;
  s.a.reset();
  EXPECT_THROW(skiff::recv_fd(s.b.get(), nullptr), Error);
  SocketPair t;
  ASSERT_EQ(::write(t.a.get(), "x", 1), 1);
  try {
    skiff::recv_fd(t.b.get(), nullptr);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no file descriptor"), std::string::npos) << e.what();
  }
}

namespace {

// A listening console socket at `path` and the fd + name that one client sends to it.
void accept_one(const std::string& path, int master, const std::string& send_name) {
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(listener);
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  // Bind through the directory when the path is too long for sun_path.
  std::string dir = path.substr(0, path.rfind('/'));
  std::string base = path.substr(path.rfind('/') + 1);
  UniqueFd dirfd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  std::string short_path = "/proc/self/fd/" + std::to_string(dirfd.get()) + "/" + base;
  std::strcpy(addr.sun_path, short_path.c_str());
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << strerror(errno);
  ASSERT_EQ(::listen(listener.get(), 1), 0);
  std::string name;
  UniqueFd got;
  std::thread acceptor([&] {
    UniqueFd c(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (c) got = skiff::recv_fd(c.get(), &name);
  });
  skiff::send_console_fd(path, master, send_name);
  acceptor.join();
  ASSERT_TRUE(got);
  EXPECT_EQ(name, send_name);
  EXPECT_EQ(rdev_of(got.get()), rdev_of(master));
}

}  // namespace

TEST(ConsoleSocket, SendsTheMasterToTheSocket) {
  TempDir d;
  Pty pty = skiff::open_pty("/dev/ptmx", std::nullopt);
  accept_one(d.path + "/console.sock", pty.master.get(), pty.slave_path);
}

TEST(ConsoleSocket, PathLongerThanSunPath) {
  TempDir d;
  std::string dir = d.path;
  while (dir.size() < 150) dir += "/a-rather-long-directory-name";
  std::filesystem::create_directories(dir);
  std::string path = dir + "/console.sock";
  ASSERT_GE(path.size(), sizeof(sockaddr_un::sun_path));
  Pty pty = skiff::open_pty("/dev/ptmx", std::nullopt);
  accept_one(path, pty.master.get(), "console");
}

TEST(ConsoleSocket, NoListenerIsAnErrorNamingThePath) {
  TempDir d;
  Pty pty = skiff::open_pty("/dev/ptmx", std::nullopt);
  try {
    skiff::send_console_fd(d.path + "/absent.sock", pty.master.get(), "console");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "connect to console socket " + d.path + "/absent.sock: No such file or directory");
  }
}

TEST(ControllingTerminal, ChildTakesThePtyAsItsTerminal) {
  Pty pty = skiff::open_pty("/dev/ptmx", std::nullopt);
  const dev_t want = rdev_of(pty.slave.get());
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int rc = skiff::make_controlling_terminal(pty.slave.get());
    if (rc < 0) _exit(10);
    // Exit codes say which check failed.
    for (int fd = 0; fd <= 2; ++fd)
      if (rdev_of(fd) != want || (::fcntl(fd, F_GETFD) & FD_CLOEXEC)) _exit(20 + fd);
    if (::getsid(0) != ::getpid()) _exit(30);
    pid_t sid = 0;
    if (::ioctl(0, TIOCGSID, &sid) < 0 || sid != ::getpid()) _exit(31);
    if (::tcgetpgrp(0) != ::getpgrp()) _exit(32);
    // /dev/tty is now this pty.
    int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (tty < 0) _exit(33);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ControllingTerminal, FdAlreadyOnStdin) {
  Pty pty = skiff::open_pty("/dev/ptmx", std::nullopt);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The slave already is fd 0 and close-on-exec: it must end up inheritable.
    if (::dup3(pty.slave.get(), 0, O_CLOEXEC) < 0) _exit(9);
    if (skiff::make_controlling_terminal(0) < 0) _exit(10);
    if (::fcntl(0, F_GETFD) & FD_CLOEXEC) _exit(11);
    if (rdev_of(1) != rdev_of(0)) _exit(12);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(ControllingTerminal, NotATerminalReturnsErrno) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    int rc = skiff::make_controlling_terminal(fd);
    _exit(rc == -ENOTTY ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}
