// SignalSet: signals delivered as loop events through a signalfd, never as asynchronous handlers.
// The supervisor blocks SIGTERM/SIGINT (graceful stop), SIGHUP (reload its config) and SIGCHLD in its
// main thread before it starts any thread (WorkerPool blocks everything in its workers anyway), and
// reads them on the loop. SIGCHLD is read only to be told: exits are taken through pidfds
// (process_exit.hpp), and nothing in the supervisor may reap with waitpid(-1), which would steal the
// status of a child somebody waits for.
// Construct and destroy on the loop thread; the destructor restores the previous mask.
#pragma once

#include <signal.h>
#include <sys/signalfd.h>

#include <functional>
#include <initializer_list>
#include <memory>
#include <vector>

#include "event_loop.hpp"
#include "unique_fd.hpp"

namespace skiff::loop {

class SignalSet {
 public:
  using Handler = std::function<void(const signalfd_siginfo&)>;
  SignalSet(EventLoop& loop, std::initializer_list<int> signals, Handler handler);
  ~SignalSet();
  SignalSet(const SignalSet&) = delete;
  SignalSet& operator=(const SignalSet&) = delete;

 private:
  void on_readable();
  EventLoop& loop_;
  sigset_t set_;
  sigset_t old_;
  UniqueFd fd_;
  Handler handler_;
};

// The supervisor's signals: stop (SIGTERM, SIGINT), reload (SIGHUP), child (SIGCHLD); any may be null.
struct SupervisorSignalHandlers {
  std::function<void(int signo)> stop;
  std::function<void()> reload;
  std::function<void()> child;
};
std::unique_ptr<SignalSet> make_supervisor_signals(EventLoop& loop, SupervisorSignalHandlers handlers);

}  // namespace skiff::loop
