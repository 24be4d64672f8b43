// EventLoop: one thread's epoll loop with fd watches, timers and cross-thread posts. What the
// supervisor, the prober and the API server run on: no thread and no polling loop per container or
// probe, and a timer costs a heap entry, not a timerfd.
//
// Threading: one thread runs the loop (run/run_once); every method except post() and stop() must be
// called on that thread (callbacks run there, so calling from a callback is fine). post() and stop()
// may be called from any thread.
//
// Callbacks may add, change or remove watches and timers, including their own (an fd unwatched by an
// earlier callback of the same round is not called again in that round; a cancelled timer never runs).
#pragma once

#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "unique_fd.hpp"

namespace skiff {

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;
  // Called with the epoll event bits that are ready (EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR, ...).
  using FdCallback = std::function<void(uint32_t events)>;
  using TimerId = uint64_t;  // never 0: 0 is "no timer"

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Watches `fd` (which the caller keeps open until unwatch) for `events`; replaces an existing
  // watch of the same fd. Level-triggered unless `events` has EPOLLET.
  void watch(int fd, uint32_t events, FdCallback cb);
  // Changes the events of a watched fd.
  void modify(int fd, uint32_t events);
  // Stops watching; unknown fds are fine (a no-op). Call before closing the fd.
  void unwatch(int fd);
  bool watching(int fd) const { return fds_.count(fd) != 0; }

  // One-shot timers on the monotonic clock. Timers due at the same time run in the order they were
  // added.
  TimerId at(TimePoint when, std::function<void()> cb);
  TimerId after(Clock::duration delay, std::function<void()> cb) { return at(now() + delay, std::move(cb)); }
  // Cancels a pending timer; an unknown, fired or zero id is fine (a no-op). Returns whether it was
  // pending.
  bool cancel(TimerId id);
  size_t pending_timers() const { return timers_.size(); }

  // Runs `fn` on the loop thread soon (after the current callback). Thread-safe; wakes the loop.
  void post(std::function<void()> fn);

  // Runs until stop() (a stop() before run() makes it return at once), then clears the stop so the
  // loop can run again. Exceptions from callbacks propagate out of run()/run_once() (the loop stays
  // usable: run again to go on).
  void run();
  // Waits at most `timeout_ms` (-1: until something happens) for events, then dispatches what is
  // ready (fds, due timers, posts). Returns false once stop() was called.
  bool run_once(int timeout_ms);
  // Makes run() return after the current round. Thread-safe.
  void stop();
  bool stopped() const;

  TimePoint now() const { return Clock::now(); }

 private:
  struct Watch {
    uint32_t events;
    uint32_t generation;
    std::shared_ptr<FdCallback> cb;  // shared: a callback may unwatch (destroy) itself while running
  };
  void arm_timerfd();
  void run_due_timers();
  void run_posts();

  UniqueFd epoll_;
  UniqueFd timer_fd_;  // CLOCK_MONOTONIC, armed for the earliest timer
  UniqueFd wake_fd_;   // eventfd for post() and stop()
  std::unordered_map<int, Watch> fds_;
  // (when, id) -> callback; ids grow, so equal deadlines keep insertion order.
  std::map<std::pair<TimePoint, TimerId>, std::function<void()>> timers_;
  std::unordered_map<TimerId, TimePoint> timer_index_;
  TimerId next_timer_ = 1;
  TimePoint armed_for_ = TimePoint::max();

  mutable std::mutex post_mu_;
  std::vector<std::function<void()>> posts_;
  bool stop_ = false;  // guarded by post_mu_
};

}  // namespace skiff
