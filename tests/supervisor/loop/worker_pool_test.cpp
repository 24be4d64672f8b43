// WorkerPool: blocking work off the loop, completions on the loop, the queue bounded.
#include "loop/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>

namespace skiff::loop {
namespace {

void run_until(EventLoop& loop, const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done() && std::chrono::steady_clock::now() < deadline) loop.run_once(100);
  ASSERT_TRUE(done()) << "timed out";
}

TEST(WorkerPool, WorkRunsOffTheLoopAndCompletesOnIt) {
  EventLoop loop;
  WorkerPool pool(loop, 2, 8);
  auto loop_thread = std::this_thread::get_id();
  std::thread::id worker_thread;
  std::optional<int> got;
  ASSERT_NE(pool.submit_value<int>(
                [&] {
                  worker_thread = std::this_thread::get_id();
                  return 42;
                },
                [&](std::optional<int> v, std::exception_ptr e) {
                  EXPECT_EQ(std::this_thread::get_id(), loop_thread);
                  EXPECT_FALSE(e);
                  got = v;
                }),
            0u);
  run_until(loop, [&] { return got.has_value(); });
  EXPECT_EQ(*got, 42);
  EXPECT_NE(worker_thread, loop_thread);
}

TEST(WorkerPool, ExceptionsReachTheCompletion) {
  EventLoop loop;
  WorkerPool pool(loop, 1, 8);
  std::string what;
  pool.submit([] { throw std::runtime_error("pull failed: manifest unknown"); },
              [&](std::exception_ptr e) {
                try {
                  std::rethrow_exception(e);
                } catch (const std::exception& x) {
                  what = x.what();
                }
              });
  run_until(loop, [&] { return !what.empty(); });
  EXPECT_EQ(what, "pull failed: manifest unknown");
}

TEST(WorkerPool, AFullQueueRefusesAndQueuedWorkCanBeTakenBack) {
  EventLoop loop;
  WorkerPool pool(loop, 1, 2);
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::atomic<int> started{0};
  auto block = [gate, &started] {
    ++started;
    gate.wait();
  };
  int done = 0;
  auto count = [&](std::exception_ptr) { ++done; };
  ASSERT_NE(pool.submit(block, count), 0u);
  while (started == 0) std::this_thread::yield();  // the one worker is busy now
  auto t2 = pool.submit(block, count);
  auto t3 = pool.submit(block, count);
  ASSERT_NE(t2, 0u);
  ASSERT_NE(t3, 0u);
  EXPECT_EQ(pool.submit(block, count), 0u);  // bounded: two queued already
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_TRUE(pool.cancel(t3));
  EXPECT_FALSE(pool.cancel(t3));
  release.set_value();
  run_until(loop, [&] { return done == 2; });
  EXPECT_EQ(pool.queued(), 0u);
}

}  // namespace
}  // namespace skiff::loop
