#include "tty_proxy.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "error.hpp"

namespace skiff {
namespace {

// Puts our stdin in raw mode for the life of a pty session, and restores it.
class RawMode {
 public:
  RawMode() {
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_) < 0) return;
    struct termios raw = saved_;
    cfmakeraw(&raw);
    active_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawMode() {
    if (active_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }

 private:
  struct termios saved_ {};
  bool active_ = false;
};

bool copy_once(int from, int to) {
  char buf[16384];
  ssize_t n = read(from, buf, sizeof buf);
  if (n <= 0) return false;
  for (ssize_t off = 0; off < n;) {
    ssize_t w = write(to, buf + off, static_cast<size_t>(n - off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += w;
  }
  return true;
}

void copy_winsize(int pty_master) {
  struct winsize ws;
  if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ioctl(pty_master, TIOCSWINSZ, &ws);
}

}  // namespace

int wait_foreground(pid_t pid, int pidfd, int signal_fd, int pty_master) {
  RawMode raw_mode_if_tty_session;
  if (pty_master >= 0) copy_winsize(pty_master);
  bool stdin_open = pty_master >= 0;
  bool master_open = pty_master >= 0;
  for (;;) {
    struct pollfd fds[4] = {{pidfd, POLLIN, 0}, {signal_fd, POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0}};
    if (master_open) fds[2].fd = pty_master;
    if (stdin_open) fds[3].fd = STDIN_FILENO;
    int n = poll(fds, 4, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(errno, "poll");
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(signal_fd, &si, sizeof si) == sizeof si) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGWINCH && pty_master >= 0)
          copy_winsize(pty_master);
        else if (sig != SIGCHLD)
          syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0);
      }
    }
    if (master_open && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)))
      master_open = copy_once(pty_master, STDOUT_FILENO);
    if (stdin_open && (fds[3].revents & (POLLIN | POLLHUP | POLLERR)))
      stdin_open = copy_once(STDIN_FILENO, pty_master);
    if (fds[0].revents & POLLIN) {
      // Drain what the process wrote before it exited, then reap.
      while (master_open) {
        struct pollfd p = {pty_master, POLLIN, 0};
        if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) break;
        master_open = copy_once(pty_master, STDOUT_FILENO);
      }
      int status = 0;
      while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw Error(errno, "wait for the container");
      }
      return status;
    }
  }
}

}  // namespace skiff
