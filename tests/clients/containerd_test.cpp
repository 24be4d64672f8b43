// containerd 1.6 (a private daemon) drives an OCI runtime through its runc shim (v2), as on a node:
// `ctr run --runc-binary <runtime>`. The same tests run with our skiff-runtime and with Debian's
// crun: they check what the client sees, so a peer must pass them too.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "clients_harness.hpp"

using namespace skiff::test;

namespace {

class ContainerdTest : public ::testing::TestWithParam<std::string> {
 protected:
  // One daemon for the whole process (its start and the image import cost seconds); every test
  // uses names of its own and checks that it left nothing in it.
  static void TearDownTestSuite() { daemon_.reset(); }

  void SetUp() override {
    if (!is_root()) GTEST_SKIP() << "needs root: runs containerd and containers";
    if (access("/usr/bin/containerd", X_OK) != 0 || access("/usr/bin/ctr", X_OK) != 0)
      GTEST_SKIP() << "containerd is not installed (Debian package containerd)";
    if (access(fixture_oci_layout().c_str(), R_OK) != 0)
      GTEST_SKIP() << "no fixture image " << fixture_oci_layout() << " (built with umoci)";
    if (!daemon_) daemon_ = std::make_unique<Containerd>();
    ctd_ = daemon_.get();
    runtime_ = client_runtime(GetParam(), ctd_->dir());
    if (!runtime_.skip_reason.empty()) GTEST_SKIP() << runtime_.skip_reason;
    runtime_root_ = ctd_->dir() + "/runtime-root-" + GetParam();
  }

  void TearDown() override {
    if (!ctd_) return;
    // Whatever a test left (it failed half-way) goes now, so the checks below judge the runtime's
    // clean-up, not the test's.
    for (const auto& id : started_) ctd_->remove_container(id);
    EXPECT_TRUE(ctd_->tasks().empty()) << "tasks left behind";
    EXPECT_TRUE(ctd_->containers().empty()) << "containers left behind";
    // Rootfs mounts live under the daemon's state dir; nothing may stay mounted once tasks are gone.
    auto mounts = mounts_under(ctd_->dir());
    EXPECT_TRUE(mounts.empty()) << "mount left behind: " << mounts.front();
    for (const auto& cg : cgroups_) {
      auto dirs = cgroup_dirs(cg);
      EXPECT_TRUE(dirs.empty()) << "cgroup left behind: " << dirs.front();
      remove_cgroup_dirs(cg);
    }
    if (HasFailure()) std::cerr << "containerd log:\n" << ctd_->daemon_log();
  }

  // `ctr run [flags] IMAGE ID ARGS...` with the runtime under test and a cgroup of the test's own.
  Result run(const std::vector<std::string>& flags, const std::string& id,
             const std::vector<std::string>& args, int timeout_s = 60) {
    std::string cg = "/" + id;
    cgroups_.push_back(cg);
    started_.push_back(id);
    std::vector<std::string> a = {
        "run", "--runc-binary", runtime_.binary, "--runc-root", runtime_root_, "--cgroup", cg};
    a.insert(a.end(), flags.begin(), flags.end());
    a.push_back(Containerd::image());
    a.push_back(id);
    a.insert(a.end(), args.begin(), args.end());
    return ctd_->ctr(a, timeout_s);
  }

  // A detached container running `sleep`, as a long-lived target.
  std::string run_sleeper() {
    std::string id = unique_name("sleeper");
    auto r = run({"--detach"}, id, {"sleep", "1000"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    return id;
  }

  // The task's status column in `ctr task list` ("RUNNING", "PAUSED", "STOPPED"), "" when absent.
  std::string task_status(const std::string& id) {
    auto r = ctd_->ctr({"task", "list"});
    std::istringstream in(r.out);
    std::string tid, pid, status;
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream f(line);
      f >> tid >> pid >> status;
      if (tid == id) return status;
    }
    return "";
  }

  // Polls until the task has the wanted status (a kill is asynchronous); false after ~10 s.
  bool wait_status(const std::string& id, const std::string& want) {
    for (int i = 0; i < 500; ++i) {
      if (task_status(id) == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  static inline std::unique_ptr<Containerd> daemon_;
  Containerd* ctd_ = nullptr;
  ClientRuntime runtime_;
  std::string runtime_root_;
  std::vector<std::string> started_;
  std::vector<std::string> cgroups_;
};

TEST_P(ContainerdTest, ExitStatusReachesCtr) {
  auto t = run({"--rm"}, unique_name("true"), {"/bin/true"});
  EXPECT_EQ(t.status, 0) << t.out << t.err;
  auto f = run({"--rm"}, unique_name("false"), {"false"});
  EXPECT_EQ(f.status, 1) << f.out << f.err;
  auto seven = run({"--rm"}, unique_name("seven"), {"sh", "-c", "echo out; exit 7"});
  EXPECT_EQ(seven.status, 7) << seven.out << seven.err;
  EXPECT_EQ(seven.out, "out\n");
}

TEST_P(ContainerdTest, ExecRunsInsideTheContainer) {
  std::string id = run_sleeper();
  // Inside the container's pid namespace, pid 1 is the container's sleep.
  auto r = ctd_->ctr({"task", "exec", "--exec-id", "probe", id, "sh", "-c", "cat /proc/1/cmdline; exit 4"});
  EXPECT_EQ(r.status, 4) << r.out << r.err;
  EXPECT_EQ(r.out.substr(0, 5), std::string("sleep", 5)) << r.out;
  auto hn = ctd_->ctr({"task", "exec", "--exec-id", "hostname", id, "hostname"});
  EXPECT_EQ(hn.status, 0) << hn.err;
  ctd_->remove_container(id);
}

TEST_P(ContainerdTest, PsListsTheContainersProcesses) {
  std::string id = run_sleeper();
  auto one = ctd_->ctr({"task", "ps", id});
  ASSERT_EQ(one.status, 0) << one.err;
  // A header and the init.
  EXPECT_EQ(std::count(one.out.begin(), one.out.end(), '\n'), 2) << one.out;
  auto d = ctd_->ctr({"task", "exec", "--detach", "--exec-id", "second", id, "sleep", "1000"});
  ASSERT_EQ(d.status, 0) << d.out << d.err;
  auto two = ctd_->ctr({"task", "ps", id});
  ASSERT_EQ(two.status, 0) << two.err;
  EXPECT_EQ(std::count(two.out.begin(), two.out.end(), '\n'), 3) << two.out;
  ctd_->remove_container(id);
}

TEST_P(ContainerdTest, DetachedTaskIsKilledBySignal) {
  // A shell with a TERM handler (pid 1 ignores signals it does not handle) and a plain sleep.
  std::string id = unique_name("trap");
  auto r = run({"--detach"}, id, {"sh", "-c", "trap 'exit 42' TERM; while :; do sleep 0.1; done"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  auto k = ctd_->ctr({"task", "kill", "--signal", "SIGTERM", id});
  EXPECT_EQ(k.status, 0) << k.err;
  EXPECT_TRUE(wait_status(id, "STOPPED")) << task_status(id);
  auto del = ctd_->ctr({"task", "delete", id});
  EXPECT_EQ(del.status, 0) << del.err;
  EXPECT_NE((del.out + del.err).find("exit code 42"), std::string::npos)
      << "exit status of the TERM handler: " << del.out << del.err;

  std::string sleeper = run_sleeper();
  auto kk = ctd_->ctr({"task", "kill", "--signal", "SIGKILL", sleeper});
  EXPECT_EQ(kk.status, 0) << kk.err;
  EXPECT_TRUE(wait_status(sleeper, "STOPPED")) << task_status(sleeper);
  auto del2 = ctd_->ctr({"task", "delete", sleeper});
  EXPECT_NE((del2.out + del2.err).find("exit code 137"), std::string::npos) << del2.out << del2.err;
  ctd_->remove_container(id);
  ctd_->remove_container(sleeper);
}

TEST_P(ContainerdTest, TtyContainerGetsAPty) {
  if (access("/usr/bin/script", X_OK) != 0) GTEST_SKIP() << "needs script(1) (util-linux) for a terminal";
  // `ctr run -t` needs a terminal on its own stdin: script(1) gives it one.
  std::string id = unique_name("tty");
  cgroups_.push_back("/" + id);
  started_.push_back(id);
  std::string cmd = "/usr/bin/ctr --address " + ctd_->dir() + "/containerd.sock --namespace " + ctd_->ns() +
                    " run --rm --tty --runc-binary " + runtime_.binary + " --runc-root " + runtime_root_ +
                    " --cgroup /" + id + " " + Containerd::image() + " " + id +
                    " sh -c 'tty; test -t 0 && test -t 1 && echo both-ttys'";
  auto r = run_command({"/usr/bin/script", "--quiet", "--return", "--command", cmd, "/dev/null"}, "", 60);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("/dev/pts/"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("both-ttys"), std::string::npos) << r.out;
}

TEST_P(ContainerdTest, BadMountFailsWithTheRuntimesReason) {
  std::string id = unique_name("badmount");
  std::string missing = "/nonexistent-" + id;
  auto r = run({"--rm", "--mount", "type=bind,src=" + missing + ",dst=/x,options=rbind"}, id, {"true"});
  EXPECT_NE(r.status, 0);
  std::string all = r.out + r.err;
  // The runtime's reason, read by the shim from the JSON log, reaches the user through ctr.
  EXPECT_NE(all.find(missing), std::string::npos) << all;
  EXPECT_EQ(all.find("unable to retrieve OCI runtime error"), std::string::npos) << all;
  if (GetParam() == "skiff") {
    EXPECT_NE(all.find("create " + id + ": "), std::string::npos) << "our one-line message: " << all;
  }
}

TEST_P(ContainerdTest, PauseAndResume) {
  if (GetParam() == "skiff") {
    auto why = unsupported_by_skiff("pause");
    if (!why.empty()) GTEST_SKIP() << why;
  }
  std::string id = run_sleeper();
  auto p = ctd_->ctr({"task", "pause", id});
  ASSERT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(task_status(id), "PAUSED");
  auto r = ctd_->ctr({"task", "resume", id});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(task_status(id), "RUNNING");
  auto e = ctd_->ctr({"task", "exec", "--exec-id", "after", id, "true"});
  EXPECT_EQ(e.status, 0) << e.err;
  ctd_->remove_container(id);
}

TEST_P(ContainerdTest, MetricsReadTheContainersCgroup) {
  std::string id = run_sleeper();
  // The shim reads the cgroup named in the spec; the runtime must have made it.
  if (GetParam() == "skiff" && cgroup_dirs("/" + id).empty()) {
    ctd_->remove_container(id);
    GTEST_SKIP() << "skiff-runtime does not create the spec's cgroup yet (cgroups work not landed)";
  }
  auto m = ctd_->ctr({"task", "metrics", "--format", "json", id});
  ASSERT_EQ(m.status, 0) << m.err;
  auto j = nlohmann::json::parse(m.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << m.out;
  // cgroup v1 metrics: one process in the container's pids cgroup (a host cgroup would have many).
  ASSERT_TRUE(j.contains("pids")) << m.out;
  EXPECT_EQ(j["pids"].value("current", 0), 1) << m.out;
  ASSERT_TRUE(j.contains("memory")) << m.out;
  ctd_->remove_container(id);
}

INSTANTIATE_TEST_SUITE_P(Runtimes, ContainerdTest, ::testing::Values("skiff", "crun"),
                         [](const auto& info) { return info.param; });

}  // namespace
