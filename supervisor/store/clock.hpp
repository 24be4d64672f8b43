// The store's two clocks, behind an interface so tests drive them: wall time for the timestamps that
// objects and events carry (creationTimestamp, lastTimestamp), steady time for coalescing writes (a wall
// clock that jumps at boot on a device without an RTC must not stall or flood the disk).
#pragma once

#include <chrono>
#include <string>

namespace skiff::store {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point wall() const = 0;
  virtual std::chrono::steady_clock::time_point steady() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point wall() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point steady() const override { return std::chrono::steady_clock::now(); }
  static SystemClock& instance() {
    static SystemClock c;
    return c;
  }
};

// Kubernetes' metav1.Time: RFC 3339 in UTC with seconds ("2026-01-02T03:04:05Z").
std::string k8s_time(std::chrono::system_clock::time_point t);

}  // namespace skiff::store
