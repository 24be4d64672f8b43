// The shape every mechanism shares: a one-shot operation on the event loop with one watched fd, one
// deadline, and a callback that is called once, last, and may destroy the operation.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "event_loop.hpp"
#include "probe_runner.hpp"

namespace skiff::probes {

class LoopOperation : public ProbeOperation {
 public:
  ~LoopOperation() override;

 protected:
  // timeout 0: no deadline (a lifecycle hook bounded by its caller).
  LoopOperation(EventLoop& loop, ProbeDone done, std::chrono::milliseconds timeout);

  // Arms the deadline. Called by a subclass once it is fully built (on_timeout is virtual).
  void arm();
  // The subclass's start is over: from now on finish() calls back at once. Before, it defers to the
  // loop, so a callback never runs inside start().
  void started() { starting_ = false; }
  // Watches `fd` for `events` (EPOLLIN/EPOLLOUT); one fd at a time.
  void watch(int fd, uint32_t events);
  void unwatch();
  // Ends the operation: stops watching, cancels timers, calls release(), then done (its last act).
  void finish(Result result, std::string message, bool is_error = false);
  // finish, but from the loop a moment later: for answers known before start() returns.
  void finish_soon(Result result, std::string message, bool is_error = false);
  bool finished() const { return finished_; }

  virtual void on_io(uint32_t events) = 0;
  virtual void on_timeout() = 0;
  // Frees what the operation holds (fds, processes) before the callback runs.
  virtual void release() {}

  EventLoop& loop_;
  TimePoint started_;
  std::chrono::milliseconds timeout_;

 private:
  void stop();
  ProbeDone done_;
  int fd_ = -1;
  uint32_t events_ = 0;
  EventLoop::TimerId deadline_ = 0;
  EventLoop::TimerId soon_ = 0;
  bool finished_ = false;
  bool starting_ = true;
};

}  // namespace skiff::probes
