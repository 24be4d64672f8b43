// The ProbeManager's clock and timers on the event loop (production's Scheduler).
#pragma once

#include "event_loop.hpp"
#include "probe_runner.hpp"

namespace skiff::probes {

class LoopScheduler : public Scheduler {
 public:
  explicit LoopScheduler(EventLoop& loop) : loop_(loop) {}
  TimePoint now() override { return loop_.now(); }
  std::chrono::system_clock::time_point wall_now() override { return std::chrono::system_clock::now(); }
  TimerId at(TimePoint when, std::function<void()> fn) override { return loop_.at(when, std::move(fn)); }
  void cancel(TimerId id) override { loop_.cancel(id); }

 private:
  EventLoop& loop_;
};

}  // namespace skiff::probes
