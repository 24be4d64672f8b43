#include "loop/jitter.hpp"

#include <sys/random.h>

namespace skiff::loop {

Random::Random() {
  uint64_t seed = 0;
  if (::getrandom(&seed, sizeof seed, GRND_NONBLOCK) != sizeof seed)
    seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  gen_.seed(seed);
}

std::chrono::milliseconds jittered(std::chrono::milliseconds base, double max_factor, Random& r) {
  if (max_factor <= 0) max_factor = 1.0;
  auto extra = static_cast<int64_t>(r.uniform01() * max_factor * static_cast<double>(base.count()));
  return base + std::chrono::milliseconds(extra);
}

std::chrono::milliseconds initial_delay(std::chrono::milliseconds period, Random& r) {
  return std::chrono::milliseconds(static_cast<int64_t>(r.uniform01() * static_cast<double>(period.count())));
}

}  // namespace skiff::loop
