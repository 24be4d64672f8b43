#include "loop/jitter.hpp"

#include <gtest/gtest.h>

namespace skiff::loop {
namespace {

using std::chrono::milliseconds;

TEST(Jitter, StaysWithinItsRangeAndSpreads) {
  Random r(7);
  milliseconds lo = milliseconds::max(), hi = milliseconds::min();
  for (int i = 0; i < 1000; ++i) {
    auto d = jittered(milliseconds(1000), 0.5, r);
    ASSERT_GE(d, milliseconds(1000));
    ASSERT_LT(d, milliseconds(1500));
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_LT(lo, milliseconds(1100));  // spread over the range, not stuck at one end
  EXPECT_GT(hi, milliseconds(1400));
  for (int i = 0; i < 100; ++i) {
    auto d = initial_delay(milliseconds(10000), r);
    ASSERT_GE(d, milliseconds(0));
    ASSERT_LT(d, milliseconds(10000));
  }
}

TEST(Jitter, ASeedGivesTheSameSequence) {
  Random a(99), b(99);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(jittered(milliseconds(500), 1.0, a), jittered(milliseconds(500), 1.0, b));
  Random c(1);
  EXPECT_GE(jittered(milliseconds(100), 0, c), milliseconds(100));  // factor <= 0 means 1.0
}

}  // namespace
}  // namespace skiff::loop
