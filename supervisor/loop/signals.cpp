#include "loop/signals.hpp"

#include <pthread.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "error.hpp"

namespace skiff::loop {

SignalSet::SignalSet(EventLoop& loop, std::initializer_list<int> signals, Handler handler)
    : loop_(loop), handler_(std::move(handler)) {
  sigemptyset(&set_);
  for (int s : signals) sigaddset(&set_, s);
  int rc = pthread_sigmask(SIG_BLOCK, &set_, &old_);
  if (rc != 0) throw Error(rc, "block signals");
  fd_.reset(::signalfd(-1, &set_, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!fd_) {
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    throw Error(e, "signalfd");
  }
  loop_.watch(fd_.get(), EPOLLIN, [this](uint32_t) { on_readable(); });
}

SignalSet::~SignalSet() {
  loop_.unwatch(fd_.get());
  fd_.reset();
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

void SignalSet::on_readable() {
  for (;;) {
    signalfd_siginfo info;
    ssize_t n = ::read(fd_.get(), &info, sizeof info);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof info)) return;  // EAGAIN: all read
    if (handler_) handler_(info);
  }
}

std::unique_ptr<SignalSet> make_supervisor_signals(EventLoop& loop, SupervisorSignalHandlers h) {
  return std::make_unique<SignalSet>(loop, std::initializer_list<int>{SIGTERM, SIGINT, SIGHUP, SIGCHLD},
                                     [h = std::move(h)](const signalfd_siginfo& info) {
                                       int s = static_cast<int>(info.ssi_signo);
                                       if ((s == SIGTERM || s == SIGINT) && h.stop) h.stop(s);
                                       if (s == SIGHUP && h.reload) h.reload();
                                       if (s == SIGCHLD && h.child) h.child();
                                     });
}

}  // namespace skiff::loop
