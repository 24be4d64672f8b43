#include "loop/process_exit.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.hpp"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace skiff::loop {

struct ExitWatch::State {
  EventLoop* loop;
  UniqueFd fd;
  pid_t pid;
  std::function<void(const ExitStatus&)> cb;
  ~State() {
    if (fd) loop->unwatch(fd.get());
  }
};

bool ExitWatch::active() const {
  return state_ && state_->fd;
}

UniqueFd open_pidfd(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) throw_errno("pidfd_open " + std::to_string(pid));
  int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  return UniqueFd(fd);
}

ExitWatch watch_exit(EventLoop& loop, UniqueFd pidfd, pid_t pid, std::function<void(const ExitStatus&)> cb) {
  ExitWatch w;
  w.state_ = std::make_shared<ExitWatch::State>();
  w.state_->loop = &loop;
  w.state_->fd = std::move(pidfd);
  w.state_->pid = pid;
  w.state_->cb = std::move(cb);
  std::weak_ptr<ExitWatch::State> weak = w.state_;
  loop.watch(w.state_->fd.get(), EPOLLIN, [weak](uint32_t) {
    auto s = weak.lock();
    if (!s || !s->fd) return;
    ExitStatus st;
    st.pid = s->pid;
    siginfo_t info{};
    int rc;
    while ((rc = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(s->fd.get()), &info,
                          WEXITED | WNOHANG)) < 0 &&
           errno == EINTR) {
    }
    if (rc == 0 && info.si_pid == 0) return;  // readable but not yet reapable: wait for the next wakeup
    if (rc == 0) {
      st.known = true;
      if (info.si_code == CLD_EXITED)
        st.exit_code = info.si_status;
      else
        st.signal = info.si_status;
      st.core_dumped = info.si_code == CLD_DUMPED;
    }
    s->loop->unwatch(s->fd.get());
    s->fd.reset();
    auto cb = std::move(s->cb);
    if (cb) cb(st);
  });
  return w;
}

}  // namespace skiff::loop
