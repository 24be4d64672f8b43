// The two clocks controllers read: wall time for the timestamps objects carry (conditions, readiness
// since), steady time for expectations and queue delays. Tests pass a fake.
#pragma once

#include <chrono>

#include "controller/time_util.hpp"

namespace skiff::controller {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime wall() const = 0;
  virtual std::chrono::steady_clock::time_point steady() const = 0;
};

class SystemClock final : public Clock {
 public:
  WallTime wall() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point steady() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace skiff::controller
