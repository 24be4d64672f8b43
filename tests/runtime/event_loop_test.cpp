// skiff::EventLoop (runtime/base): fd watches, timers, posts from other threads, and the cases a
// long-running caller hits (callbacks that unwatch or cancel, fd numbers reused within a round).
#include "event_loop.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "error.hpp"

namespace skiff {
namespace {

using namespace std::chrono_literals;

struct Pipe {
  UniqueFd r, w;
  Pipe() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) throw_errno("pipe2");
    r.reset(p[0]);
    w.reset(p[1]);
  }
};

// Runs the loop until `done` or a deadline (so a broken loop fails the test instead of hanging it).
void run_until(EventLoop& loop, const std::function<bool()>& done, std::chrono::milliseconds limit = 2s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) loop.run_once(10);
}

TEST(EventLoop, FdWatchFiresWhenReadableAndStopsAfterUnwatch) {
  EventLoop loop;
  Pipe p;
  int calls = 0;
  loop.watch(p.r.get(), EPOLLIN, [&](uint32_t ev) {
    EXPECT_TRUE(ev & EPOLLIN);
    char c;
    ASSERT_EQ(::read(p.r.get(), &c, 1), 1);
    ++calls;
  });
  loop.run_once(0);
  EXPECT_EQ(calls, 0) << "nothing was written yet";
  ASSERT_EQ(::write(p.w.get(), "x", 1), 1);
  run_until(loop, [&] { return calls == 1; });
  EXPECT_EQ(calls, 1);
  loop.unwatch(p.r.get());
  EXPECT_FALSE(loop.watching(p.r.get()));
  ASSERT_EQ(::write(p.w.get(), "y", 1), 1);
  loop.run_once(20);
  EXPECT_EQ(calls, 1) << "an unwatched fd must not call back";
}

TEST(EventLoop, ModifyChangesTheEventsWatched) {
  EventLoop loop;
  Pipe p;
  int writable = 0;
  loop.watch(p.w.get(), 0, [&](uint32_t ev) {
    if (ev & EPOLLOUT) ++writable;
  });
  loop.run_once(0);
  EXPECT_EQ(writable, 0);
  loop.modify(p.w.get(), EPOLLOUT);
  run_until(loop, [&] { return writable > 0; });
  EXPECT_GT(writable, 0);
  EXPECT_THROW(loop.modify(12345, EPOLLIN), Error);
}

TEST(EventLoop, TimersRunInDeadlineOrderAndCancelledOnesNever) {
  EventLoop loop;
  std::vector<int> order;
  auto t0 = loop.now();
  loop.at(t0 + 30ms, [&] { order.push_back(3); });
  loop.at(t0 + 10ms, [&] { order.push_back(1); });
  auto cancelled = loop.at(t0 + 20ms, [&] { order.push_back(99); });
  loop.at(t0 + 20ms, [&] { order.push_back(2); });
  EXPECT_TRUE(loop.cancel(cancelled));
  EXPECT_FALSE(loop.cancel(cancelled)) << "a second cancel finds nothing";
  EXPECT_FALSE(loop.cancel(0));
  run_until(loop, [&] { return order.size() == 3; });
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_GE(loop.now() - t0, 30ms) << "the last timer must not fire early";
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST(EventLoop, TimersWithTheSameDeadlineKeepInsertionOrder) {
  EventLoop loop;
  std::vector<int> order;
  auto when = loop.now() + 5ms;
  for (int i = 0; i < 5; ++i) loop.at(when, [&order, i] { order.push_back(i); });
  run_until(loop, [&] { return order.size() == 5; });
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(EventLoop, APastDeadlineFiresAtOnce) {
  EventLoop loop;
  bool fired = false;
  loop.at(loop.now() - 1s, [&] { fired = true; });
  run_until(
      loop, [&] { return fired; }, 200ms);
  EXPECT_TRUE(fired);
}

TEST(EventLoop, ATimerThatReArmsItselfWithZeroDelayDoesNotStarveFds) {
  EventLoop loop;
  Pipe p;
  bool readable_seen = false;
  std::function<void()> again = [&] { loop.after(0ms, again); };
  loop.after(0ms, again);
  loop.watch(p.r.get(), EPOLLIN, [&](uint32_t) { readable_seen = true; });
  ASSERT_EQ(::write(p.w.get(), "x", 1), 1);
  run_until(
      loop, [&] { return readable_seen; }, 500ms);
  EXPECT_TRUE(readable_seen);
}

TEST(EventLoop, CancellingTheEarliestTimerLetsTheNextOneFireOnTime) {
  EventLoop loop;
  bool second = false;
  auto first = loop.after(5ms, [] { FAIL() << "cancelled timer ran"; });
  loop.after(15ms, [&] { second = true; });
  loop.cancel(first);
  run_until(loop, [&] { return second; });
  EXPECT_TRUE(second);
}

TEST(EventLoop, PostFromOtherThreadsRunsOnTheLoopThread) {
  EventLoop loop;
  std::atomic<int> ran{0};
  auto loop_thread = std::this_thread::get_id();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i)
        loop.post([&] {
          EXPECT_EQ(std::this_thread::get_id(), loop_thread);
          ++ran;
        });
    });
  run_until(
      loop, [&] { return ran == 1000; }, 5s);
  for (auto& t : threads) t.join();
  run_until(loop, [&] { return ran == 1000; });
  EXPECT_EQ(ran, 1000);
}

TEST(EventLoop, StopFromAnotherThreadEndsRun) {
  EventLoop loop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(20ms);
    loop.stop();
  });
  loop.run();  // returns only because of stop(); a broken stop hangs here and ctest's timeout fails it
  stopper.join();
  EXPECT_FALSE(loop.stopped()) << "run() clears the stop so the loop can run again";
  bool ran = false;
  loop.post([&] {
    ran = true;
    loop.stop();
  });
  loop.run();
  EXPECT_TRUE(ran);
}

TEST(EventLoop, ACallbackMayUnwatchItselfAndAnotherFdOfTheSameRound) {
  EventLoop loop;
  Pipe a, b;
  int a_calls = 0, b_calls = 0;
  // Whichever runs first unwatches both; the other must not be called in that round.
  loop.watch(a.r.get(), EPOLLIN, [&](uint32_t) {
    ++a_calls;
    loop.unwatch(a.r.get());
    loop.unwatch(b.r.get());
  });
  loop.watch(b.r.get(), EPOLLIN, [&](uint32_t) {
    ++b_calls;
    loop.unwatch(a.r.get());
    loop.unwatch(b.r.get());
  });
  ASSERT_EQ(::write(a.w.get(), "x", 1), 1);
  ASSERT_EQ(::write(b.w.get(), "x", 1), 1);
  loop.run_once(100);
  EXPECT_EQ(a_calls + b_calls, 1);
}

TEST(EventLoop, AStaleEventForAReusedFdNumberIsNotDeliveredToTheNewWatch) {
  EventLoop loop;
  Pipe a, b;
  int old_calls = 0, new_calls = 0, b_calls = 0;
  int a_num = a.r.get();
  // Both pipes are readable in the same round. b's callback closes a's read end and puts a fresh
  // eventfd (not readable) on the same fd number: a's queued event must not reach the new watch.
  loop.watch(a.r.get(), EPOLLIN, [&](uint32_t) { ++old_calls; });
  UniqueFd reused;
  loop.watch(b.r.get(), EPOLLIN, [&](uint32_t) {
    ++b_calls;
    if (b_calls > 1) return;
    loop.unwatch(a_num);
    a.r.reset();
    int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    ASSERT_GE(fd, 0);
    if (fd != a_num) {
      ASSERT_GE(::dup3(fd, a_num, O_CLOEXEC), 0);
      ::close(fd);
    }
    reused.reset(a_num);
    loop.watch(a_num, EPOLLIN, [&](uint32_t) { ++new_calls; });
  });
  ASSERT_EQ(::write(a.w.get(), "x", 1), 1);
  ASSERT_EQ(::write(b.w.get(), "x", 1), 1);
  loop.run_once(100);
  loop.run_once(20);
  EXPECT_EQ(new_calls, 0) << "the eventfd on the reused number was never readable";
  EXPECT_LE(old_calls, 1);
  loop.unwatch(a_num);
}

TEST(EventLoop, AThrowingTimerPropagatesAndTheRestOfItsRoundStillRuns) {
  EventLoop loop;
  bool later = false;
  auto when = loop.now();
  loop.at(when, [] { throw Error("boom"); });
  loop.at(when, [&] { later = true; });
  bool threw = false;
  auto deadline = std::chrono::steady_clock::now() + 1s;
  while (!later && std::chrono::steady_clock::now() < deadline) {
    try {
      loop.run_once(10);
    } catch (const Error& e) {
      threw = true;
      EXPECT_STREQ(e.what(), "boom");
    }
  }
  EXPECT_TRUE(threw);
  EXPECT_TRUE(later);
}

TEST(EventLoop, ThousandsOfTimersCostNoFdsAndLeaveNothingPending) {
  EventLoop loop;
  int fired = 0;
  auto t0 = loop.now();
  std::vector<EventLoop::TimerId> ids;
  for (int i = 0; i < 5000; ++i)
    ids.push_back(loop.at(t0 + std::chrono::microseconds(i * 2), [&] { ++fired; }));
  for (size_t i = 0; i < ids.size(); i += 2) loop.cancel(ids[i]);
  run_until(loop, [&] { return fired == 2500; });
  EXPECT_EQ(fired, 2500);
  EXPECT_EQ(loop.pending_timers(), 0u);
}

}  // namespace
}  // namespace skiff
