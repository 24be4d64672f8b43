// Signals as loop events: a real kill(2) to this process reaches the handler on the loop thread.
#include "loop/signals.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "loop/worker_pool.hpp"

namespace skiff::loop {
namespace {

void run_until(EventLoop& loop, const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done() && std::chrono::steady_clock::now() < deadline) loop.run_once(100);
  ASSERT_TRUE(done()) << "timed out";
}

TEST(Signals, StopReloadAndChildArriveOnTheLoop) {
  EventLoop loop;
  std::vector<int> stops;
  int reloads = 0, children = 0;
  auto self = std::this_thread::get_id();
  auto sigs = make_supervisor_signals(loop, {[&](int s) {
                                               EXPECT_EQ(std::this_thread::get_id(), self);
                                               stops.push_back(s);
                                             },
                                             [&] { ++reloads; }, [&] { ++children; }});
  // A worker pool started after the mask is in place: its threads never take these signals.
  WorkerPool pool(loop, 2, 4);
  ::kill(::getpid(), SIGHUP);
  ::kill(::getpid(), SIGTERM);
  ::kill(::getpid(), SIGINT);
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  run_until(loop, [&] { return reloads == 1 && stops.size() == 2 && children >= 1; });
  std::sort(stops.begin(), stops.end());  // a signalfd hands out pending signals lowest number first
  EXPECT_EQ(stops, (std::vector<int>{SIGINT, SIGTERM}));
  ::waitpid(pid, nullptr, 0);
}

TEST(Signals, TheMaskIsRestoredWhenTheSetGoes) {
  sigset_t before, after;
  pthread_sigmask(SIG_SETMASK, nullptr, &before);
  {
    EventLoop loop;
    SignalSet s(loop, {SIGUSR1}, [](const signalfd_siginfo&) {});
    sigset_t during;
    pthread_sigmask(SIG_SETMASK, nullptr, &during);
    EXPECT_TRUE(sigismember(&during, SIGUSR1));
  }
  pthread_sigmask(SIG_SETMASK, nullptr, &after);
  EXPECT_EQ(sigismember(&after, SIGUSR1), sigismember(&before, SIGUSR1));
}

}  // namespace
}  // namespace skiff::loop
