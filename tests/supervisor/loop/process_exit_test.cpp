// Exits through pidfds: our own children with their status, a process that is not our child with
// its exit but no status, and many at once without a thread per process.
#include "loop/process_exit.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.hpp"

namespace skiff::loop {
namespace {

pid_t spawn_sh(const char* script) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", script, nullptr);
    ::_exit(127);
  }
  return pid;
}

// Runs the loop until `done` or a deadline (a failing test ends, it does not hang).
void run_until(EventLoop& loop, const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done() && std::chrono::steady_clock::now() < deadline) loop.run_once(100);
  ASSERT_TRUE(done()) << "timed out";
}

TEST(ProcessExit, OwnChildrenReportTheirStatus) {
  EventLoop loop;
  pid_t a = spawn_sh("exit 3");
  pid_t b = spawn_sh("kill -KILL $$");
  std::optional<ExitStatus> sa, sb;
  auto wa = watch_exit(loop, open_pidfd(a), a, [&](const ExitStatus& s) { sa = s; });
  auto wb = watch_exit(loop, open_pidfd(b), b, [&](const ExitStatus& s) { sb = s; });
  run_until(loop, [&] { return sa && sb; });
  EXPECT_TRUE(sa->known);
  EXPECT_EQ(sa->pid, a);
  EXPECT_EQ(sa->exit_code, 3);
  EXPECT_EQ(sa->signal, 0);
  EXPECT_TRUE(sb->known);
  EXPECT_EQ(sb->signal, SIGKILL);
  EXPECT_FALSE(wa.active());
  // Reaped by waitid: no zombie is left for anyone else.
  EXPECT_EQ(::waitpid(a, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(ProcessExit, AProcessThatIsNotOurChildReportsItsExitWithoutAStatus) {
  // A grandchild: its parent (our child) exits at once; the grandchild is reparented away from us.
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  pid_t mid = ::fork();
  if (mid == 0) {
    pid_t g = ::fork();
    if (g == 0) {
      ::close(p[0]);
      ::close(p[1]);
      ::execl("/bin/sleep", "sleep", "30", nullptr);
      ::_exit(127);
    }
    (void)!::write(p[1], &g, sizeof g);
    ::_exit(0);
  }
  ::close(p[1]);
  pid_t g = 0;
  ASSERT_EQ(::read(p[0], &g, sizeof g), static_cast<ssize_t>(sizeof g));
  ::close(p[0]);
  ::waitpid(mid, nullptr, 0);
  EventLoop loop;
  std::optional<ExitStatus> st;
  auto w = watch_exit(loop, open_pidfd(g), g, [&](const ExitStatus& s) { st = s; });
  ::kill(g, SIGTERM);
  run_until(loop, [&] { return st.has_value(); });
  EXPECT_FALSE(st->known);
  EXPECT_EQ(st->pid, g);
}

TEST(ProcessExit, ManyExitsOnOneThread) {
  EventLoop loop;
  std::vector<ExitWatch> watches;
  int seen = 0;
  for (int i = 0; i < 50; ++i) {
    pid_t pid = spawn_sh(("exit " + std::to_string(i % 7)).c_str());
    watches.push_back(watch_exit(loop, open_pidfd(pid), pid, [&, i](const ExitStatus& s) {
      EXPECT_EQ(s.exit_code, i % 7);
      ++seen;
    }));
  }
  run_until(loop, [&] { return seen == 50; });
}

TEST(ProcessExit, ADestroyedWatchIsNeverCalled) {
  EventLoop loop;
  pid_t pid = spawn_sh("exit 0");
  bool called = false;
  auto w = watch_exit(loop, open_pidfd(pid), pid, [&](const ExitStatus&) { called = true; });
  w.reset();
  int status;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);  // the status is still ours to take
  loop.run_once(50);
  EXPECT_FALSE(called);
  EXPECT_THROW(open_pidfd(pid), Error);  // gone: ESRCH
}

}  // namespace
}  // namespace skiff::loop
