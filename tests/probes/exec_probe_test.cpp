// exec probes in real containers (the busybox fixture, run by skiff-runtime), exec'd through the runtime
// library: exit codes, output, $(VAR) expansion, timeouts, floods and forks, and nothing left behind.
#include "exec_probe.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "harness.hpp"
#include "mechanisms.hpp"
#include "pod_net.hpp"
#include "runtime_exec_runner.hpp"

namespace skiff::probes {
namespace {

using namespace std::chrono_literals;

TEST(ExpandEnv, AsTheKubeletExpands) {
  std::map<std::string, std::string> env = {{"A", "1"}, {"PATH_X", "/x"}, {"EMPTY", ""}};
  EXPECT_EQ(expand_env("$(A)", env), "1");
  EXPECT_EQ(expand_env("a$(A)b$(PATH_X)c", env), "a1b/xc");
  EXPECT_EQ(expand_env("$(MISSING)", env), "$(MISSING)");
  EXPECT_EQ(expand_env("$$(A)", env), "$(A)");
  EXPECT_EQ(expand_env("$$$(A)", env), "$1");
  EXPECT_EQ(expand_env("$(A", env), "$(A");
  EXPECT_EQ(expand_env("cost $5 $", env), "cost $5 $");
  EXPECT_EQ(expand_env("$(EMPTY)x", env), "x");
  // Later entries win, as EnvVarsToMap builds its map.
  EXPECT_EQ(expand_command({"echo", "$(V)"}, {{"V", "old"}, {"V", "new"}}),
            (std::vector<std::string>{"echo", "new"}));
}

class ExecProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!skiff::test::is_root()) GTEST_SKIP() << "needs root: runs containers";
    b_.set_args({"/bin/sleep", "1000"});
    b_.write();
    id_ = rt_.unique_id("probe-exec");
    auto r = rt_({"run", "-d", "--bundle", b_.path(), id_});
    ASSERT_EQ(r.status, 0) << r.err;
    target_.exec = std::make_shared<RuntimeExecRunner>(rt_.root(), id_);
    target_.env = {{"GREETING", "hello"}};
    mech_ = std::make_unique<Mechanisms>(loop_);
    fds_ = test::open_fds();
  }

  ProbeOutcome run(std::vector<std::string> cmd, std::chrono::milliseconds timeout = 2s) {
    std::optional<ProbeOutcome> out;
    auto op = mech_->start(ExecAction{std::move(cmd)}, target_, timeout, [&](ProbeOutcome o) { out = o; });
    auto end = std::chrono::steady_clock::now() + 15s;
    while (!out && std::chrono::steady_clock::now() < end) loop_.run_once(50);
    if (!out) return ProbeOutcome{Result::unknown, "(no outcome within the test's guard)", true, {}};
    return *out;
  }

  // Processes in the container besides its init.
  size_t extra_processes() {
    auto r = rt_({"ps", "--format", "json", id_});
    auto pids = nlohmann::json::parse(r.out.empty() ? "[]" : r.out);
    return pids.size() > 0 ? pids.size() - 1 : 0;
  }

  // Waits (bounded) until the reaper is done and the container holds only its init.
  void expect_nothing_left() {
    auto end = std::chrono::steady_clock::now() + 10s;
    while ((mech_->exec_processes_being_reaped() > 0 || extra_processes() > 0) &&
           std::chrono::steady_clock::now() < end)
      loop_.run_once(50);
    EXPECT_EQ(mech_->exec_processes_being_reaped(), 0u);
    EXPECT_EQ(extra_processes(), 0u);
    errno = 0;
    EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1) << "a child is left to reap";
    EXPECT_EQ(errno, ECHILD);
    EXPECT_EQ(test::open_fds(), fds_);
  }

  skiff::test::Runtime rt_;
  skiff::test::Bundle b_;
  std::string id_;
  EventLoop loop_;
  ProbeTarget target_;
  std::unique_ptr<Mechanisms> mech_;
  size_t fds_ = 0;
};

TEST_F(ExecProbeTest, ExitStatusAndOutput) {
  auto o = run({"/bin/sh", "-c", "echo out; echo err >&2"});
  EXPECT_EQ(o.result, Result::success) << o.message;
  EXPECT_EQ(o.message, "out\nerr\n");
  o = run({"/bin/sh", "-c", "echo not yet; exit 3"});
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_EQ(o.message, "not yet\n");
  EXPECT_FALSE(o.is_error);
  expect_nothing_left();
}

TEST_F(ExecProbeTest, CommandExpandedFromTheStaticEnv) {
  auto o = run({"/bin/echo", "$(GREETING) $(NOPE) $$(GREETING)"});
  EXPECT_EQ(o.message, "hello $(NOPE) $(GREETING)\n");
}

TEST_F(ExecProbeTest, TimeoutKillsTheCommandAndIsAFailure) {
  auto o = run({"/bin/sleep", "100"}, 1s);
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_FALSE(o.is_error);
  EXPECT_EQ(o.message, "command \"/bin/sleep 100\" timed out");
  EXPECT_LT(o.duration, 3s);
  expect_nothing_left();
}

TEST_F(ExecProbeTest, FloodIsCappedAndDrained) {
  // 1 MiB of output, then success: read to the end (the command never blocks on a full pipe), 10 KiB kept.
  auto o = run({"/bin/sh", "-c", "head -c 1048576 /dev/zero | tr '\\0' x; echo"});
  EXPECT_EQ(o.result, Result::success) << o.message.substr(0, 200);
  EXPECT_EQ(o.message.size(), 10u * 1024);
  // Endless output: the timeout ends it.
  o = run({"/bin/sh", "-c", "yes"}, 1s);
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_EQ(o.message, "command \"/bin/sh -c yes\" timed out");
  expect_nothing_left();
}

TEST_F(ExecProbeTest, TheLeftoverCheckSeesLeftovers) {
  // The check the other tests end with would pass vacuously if it could not see a process: it can.
  auto r = rt_({"exec", "--detach", id_, "/bin/sleep", "1000"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(extra_processes(), 1u);
  rt_({"kill", "--all", id_, "KILL"});
}

TEST_F(ExecProbeTest, WhatItForksDiesWithIt) {
  auto o = run({"/bin/sh", "-c", "sleep 1000 & sleep 1000 & echo forked"});
  EXPECT_EQ(o.result, Result::success) << o.message;
  EXPECT_EQ(o.message, "forked\n");
  expect_nothing_left();
  o = run({"/bin/sh", "-c", "sleep 1000 & exec sleep 1000"}, 1s);
  EXPECT_EQ(o.result, Result::failure);
  expect_nothing_left();
}

TEST_F(ExecProbeTest, CannotStartIsAnError) {
  auto o = run({"/no/such/command"});
  EXPECT_TRUE(o.is_error);
  EXPECT_EQ(o.result, Result::unknown);
  EXPECT_NE(o.message.find("/no/such/command"), std::string::npos) << o.message;
  rt_({"kill", id_, "KILL"});
  auto end = std::chrono::steady_clock::now() + 10s;
  std::optional<ProbeOutcome> gone;
  while (std::chrono::steady_clock::now() < end) {
    auto r = run({"/bin/true"});
    if (r.is_error) {
      gone = r;
      break;
    }
  }
  ASSERT_TRUE(gone) << "exec into a stopped container kept working";
  // "cannot exec in a stopped container", or, while the init is going, what failed on its way out.
  EXPECT_FALSE(gone->message.empty());
  expect_nothing_left();
}

}  // namespace
}  // namespace skiff::probes
