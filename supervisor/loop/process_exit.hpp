// Process exits as loop events through pidfds: one fd per watched process, readable when it exits, no
// thread and no polling per container. For the supervisor's own children the exit status comes from
// waitid(P_PIDFD), which reaps them; a process that is not our child (a container adopted from a
// previous supervisor) still reports its exit, with the status unknown (its keeper has it).
// Not thread-safe: the loop thread watches and is called back.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>

#include "event_loop.hpp"
#include "unique_fd.hpp"

namespace skiff::loop {

struct ExitStatus {
  pid_t pid = 0;
  bool known = false;  // false: not our child, the status went to its parent
  int exit_code = 0;   // when exited normally
  int signal = 0;      // when killed by a signal (0 otherwise)
  bool core_dumped = false;
};

// pidfd_open(2). Throws skiff::Error (ESRCH when the process is gone already).
UniqueFd open_pidfd(pid_t pid);

// Owns the pidfd and its watch; destroying it stops watching (the callback is then never called).
class ExitWatch {
 public:
  ExitWatch() = default;
  ExitWatch(ExitWatch&&) noexcept = default;
  ExitWatch& operator=(ExitWatch&&) noexcept = default;
  ~ExitWatch() = default;
  bool active() const;
  void reset() { state_.reset(); }

  struct State;

 private:
  friend ExitWatch watch_exit(EventLoop& loop, UniqueFd pidfd, pid_t pid,
                              std::function<void(const ExitStatus&)> cb);
  std::shared_ptr<State> state_;
};

// Calls `cb` once, on the loop thread, when the process behind `pidfd` exits. `pid` is only reported.
ExitWatch watch_exit(EventLoop& loop, UniqueFd pidfd, pid_t pid, std::function<void(const ExitStatus&)> cb);

}  // namespace skiff::loop
