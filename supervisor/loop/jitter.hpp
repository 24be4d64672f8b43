// Jitter for timers, so a hundred probes or restarts that were set up together do not fire together
// (and so probes resumed after a supervisor restart spread out, as the kubelet's first probe waits a
// random fraction of its period). Pure functions over an explicit random source: tests seed it.
// A Random is not thread-safe; the loop thread owns one.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace skiff::loop {

class Random {
 public:
  Random();  // seeded from getrandom(2)
  explicit Random(uint64_t seed) : gen_(seed) {}
  double uniform01() { return std::uniform_real_distribution<double>(0.0, 1.0)(gen_); }

 private:
  std::mt19937_64 gen_;
};

// base + uniform[0, max_factor) * base: Kubernetes' wait.Jitter (max_factor <= 0 means 1.0).
std::chrono::milliseconds jittered(std::chrono::milliseconds base, double max_factor, Random& r);
// uniform[0, period): the kubelet's delay before a prober's first run.
std::chrono::milliseconds initial_delay(std::chrono::milliseconds period, Random& r);

}  // namespace skiff::loop
