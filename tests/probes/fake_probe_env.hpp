// A fake clock with timers, and a fake probe runner whose actions answer what the test scripts after a
// chosen latency on that clock: the ProbeManager's scheduling tested without real time or I/O.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>

#include "probe_runner.hpp"

namespace skiff::probes::test {

class FakeScheduler : public Scheduler {
 public:
  TimePoint now() override { return now_; }
  std::chrono::system_clock::time_point wall_now() override {
    return std::chrono::system_clock::time_point{} + (now_ - TimePoint{});
  }
  TimerId at(TimePoint when, std::function<void()> fn) override {
    TimerId id = next_++;
    timers_.emplace(std::make_pair(std::max(when, now_), id), std::move(fn));
    return id;
  }
  void cancel(TimerId id) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it)
      if (it->first.second == id) {
        timers_.erase(it);
        return;
      }
  }
  // Runs every timer due up to now + d, in time order, with now() at each timer's time.
  void advance(std::chrono::nanoseconds d) {
    TimePoint end = now_ + std::chrono::duration_cast<Clock::duration>(d);
    while (!timers_.empty() && timers_.begin()->first.first <= end) {
      auto it = timers_.begin();
      now_ = it->first.first;
      auto fn = std::move(it->second);
      timers_.erase(it);
      fn();
    }
    now_ = end;
  }
  size_t pending() const { return timers_.size(); }

 private:
  TimePoint now_ = TimePoint{} + std::chrono::hours(1);
  std::multimap<std::pair<TimePoint, TimerId>, std::function<void()>> timers_;
  TimerId next_ = 1;
};

// Every start() is recorded; its outcome is the next scripted one (or `fallback`), delivered after
// `latency` on the fake clock.
class FakeRunner : public ProbeRunner {
 public:
  explicit FakeRunner(FakeScheduler& s) : sched_(s) {}

  struct Started {
    TimePoint at;
    ProbeHandler handler;
    std::chrono::milliseconds timeout;
  };

  std::unique_ptr<ProbeOperation> start(const ProbeHandler& handler, const ProbeTarget&,
                                        std::chrono::milliseconds timeout, ProbeDone done) override {
    started.push_back({sched_.now(), handler, timeout});
    ProbeOutcome o = fallback;
    if (!script.empty()) {
      o = script.front();
      script.pop_front();
    }
    auto op = std::make_unique<Op>(sched_, ++live_);
    Op* raw = op.get();
    raw->timer = sched_.at(sched_.now() + latency, [raw, o, done = std::move(done)]() mutable {
      raw->timer = 0;
      auto cb = std::move(done);
      cb(o);  // may destroy the operation: nothing after this
    });
    return op;
  }

  int live() const { return live_; }

  std::deque<ProbeOutcome> script;
  ProbeOutcome fallback{Result::success, "ok", false, {}};
  std::chrono::milliseconds latency{10};
  std::vector<Started> started;

 private:
  struct Op : ProbeOperation {
    Op(FakeScheduler& s, int& live) : sched(s), live_count(live) {}
    ~Op() override {
      if (timer) sched.cancel(timer);
      --live_count;
    }
    FakeScheduler& sched;
    int& live_count;
    Scheduler::TimerId timer = 0;
  };
  FakeScheduler& sched_;
  int live_ = 0;
};

inline ProbeOutcome outcome(Result r, std::string msg = "", bool error = false) {
  return ProbeOutcome{r, std::move(msg), error, {}};
}

}  // namespace skiff::probes::test
