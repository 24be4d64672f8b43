// podman 4.3 (through conmon) drives skiff-runtime: `podman --runtime <ours>` with its storage and
// state in a temp dir, the way a user would run it on this machine.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>

#include "clients_harness.hpp"

using namespace skiff::test;

namespace {

class PodmanTest : public ::testing::Test {
 protected:
  // One podman store for the whole process: loading the image costs seconds.
  static void TearDownTestSuite() { podman_.reset(); }

  void SetUp() override {
    if (!is_root()) GTEST_SKIP() << "needs root: runs podman as root (rootful)";
    if (access("/usr/bin/podman", X_OK) != 0 || access("/usr/bin/conmon", X_OK) != 0)
      GTEST_SKIP() << "podman or conmon is not installed (Debian packages podman, conmon)";
    if (access(fixture_oci_layout().c_str(), R_OK) != 0)
      GTEST_SKIP() << "no fixture image " << fixture_oci_layout() << " (built with umoci)";
    if (!podman_) podman_ = std::make_unique<Podman>(runtime_binary());
    pm_ = podman_.get();
  }

  void TearDown() override {
    if (!pm_) return;
    for (const auto& name : names_) pm_->podman({"rm", "--force", "--time", "0", name});
    auto ps = pm_->podman({"ps", "--all", "--quiet"});
    EXPECT_EQ(trim(ps.out), "") << "containers left behind";
    // The runtime's own state: nothing left of the containers podman made.
    struct stat st;
    for (const auto& id : pm_->ids())
      EXPECT_NE(stat((pm_->runtime_root() + "/" + id).c_str(), &st), 0) << "runtime state left for " << id;
    auto mounts = mounts_under(pm_->dir() + "/root/overlay");
    EXPECT_TRUE(mounts.empty()) << "rootfs still mounted: " << mounts.front();
  }

  // A detached `sleep` container with a name; returns the container's full id.
  std::string run_sleeper(const std::string& name, const std::vector<std::string>& flags = {}) {
    names_.push_back(name);
    std::vector<std::string> f = {"--detach", "--name", name};
    f.insert(f.end(), flags.begin(), flags.end());
    auto r = pm_->run(f, {"sleep", "1000"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    return trim(r.out);
  }

  static inline std::unique_ptr<Podman> podman_;
  Podman* pm_ = nullptr;
  std::vector<std::string> names_;
};

TEST_F(PodmanTest, RunRmExitStatus) {
  auto t = pm_->run({"--rm"}, {"/bin/true"});
  EXPECT_EQ(t.status, 0) << t.out << t.err;
  auto f = pm_->run({"--rm"}, {"false"});
  EXPECT_EQ(f.status, 1) << f.out << f.err;
  auto seven = pm_->run({"--rm"}, {"sh", "-c", "echo out; exit 7"});
  EXPECT_EQ(seven.status, 7) << seven.out << seven.err;
  EXPECT_EQ(seven.out, "out\n") << seven.err;
}

TEST_F(PodmanTest, ExecPsAndStop) {
  std::string name = unique_name("sleeper");
  std::string id = run_sleeper(name);
  auto ps = pm_->podman({"ps", "--format", "{{.Names}} {{.Status}}"});
  EXPECT_NE(ps.out.find(name + " Up"), std::string::npos) << ps.out << ps.err;
  // Inside the container's pid namespace, pid 1 is the container's sleep.
  auto e = pm_->podman({"exec", name, "sh", "-c", "cat /proc/1/cmdline; exit 3"});
  EXPECT_EQ(e.status, 3) << e.out << e.err;
  EXPECT_EQ(e.out.substr(0, 5), std::string("sleep", 5)) << e.out;
  // sleep as pid 1 ignores SIGTERM: stop escalates to SIGKILL after the timeout.
  auto s = pm_->podman({"stop", "--time", "1", name});
  EXPECT_EQ(s.status, 0) << s.out << s.err;
  auto state = pm_->podman({"inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name});
  EXPECT_EQ(trim(state.out), "exited 137") << state.err;
  auto rm = pm_->podman({"rm", name});
  EXPECT_EQ(rm.status, 0) << rm.err;
  struct stat st;
  EXPECT_NE(stat((pm_->runtime_root() + "/" + id).c_str(), &st), 0) << "runtime state left for " << id;
}

TEST_F(PodmanTest, ReadOnlyRootfs) {
  // Without podman's tmpfs on /tmp, /run, /var/tmp (see the disabled test below).
  auto r = pm_->run({"--rm", "--read-only", "--read-only-tmpfs=false"},
                    {"sh", "-c", "touch /x 2>/dev/null && echo wrote-root; grep ' / ' /proc/mounts"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("wrote-root"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" ro,"), std::string::npos) << "root mounted read-only: " << r.out;
}

// podman's --read-only also mounts tmpfs on /tmp, /run and /var/tmp with the "tmpcopyup" option
// (copy the image's content into the tmpfs).
TEST_F(PodmanTest, ReadOnlyRootfsWithTmpfs) {
  auto r = pm_->run({"--rm", "--read-only"},
                    {"sh", "-c", "touch /x 2>/dev/null && echo wrote-root; touch /tmp/y && echo wrote-tmp"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("wrote-root"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("wrote-tmp"), std::string::npos) << r.out;
}

TEST_F(PodmanTest, CapDropAll) {
  auto none = pm_->run({"--rm", "--cap-drop", "ALL"}, {"grep", "^CapEff", "/proc/self/status"});
  EXPECT_EQ(none.status, 0) << none.err;
  EXPECT_EQ(trim(none.out), "CapEff:\t0000000000000000");
  auto some = pm_->run({"--rm"}, {"grep", "^CapEff", "/proc/self/status"});
  EXPECT_EQ(some.status, 0) << some.err;
  EXPECT_NE(trim(some.out), "CapEff:\t0000000000000000") << "default caps should not be empty";
}

TEST_F(PodmanTest, MemoryLimit) {
  std::string name = unique_name("memory");
  std::string id = run_sleeper(name, {"--memory", "64m"});
  ASSERT_FALSE(id.empty());
  std::string cg = pm_->cgroup_parents().back() + "/libpod-" + id;
  std::string limit_file = "/sys/fs/cgroup/memory" + cg + "/memory.limit_in_bytes";
  ASSERT_FALSE(cgroup_dirs(cg).empty()) << "no cgroup " << cg;
  auto read_number = [](const std::string& file) {
    std::ifstream f(file);
    long long v = -1;
    f >> v;
    return v;
  };
  EXPECT_EQ(read_number(limit_file), 64LL << 20) << limit_file;
  // `podman update` hands the new resources to the runtime's `update --resources`.
  auto up =
      pm_->podman({"update", "--memory", "128m", "--cpu-quota", "50000", "--cpu-period", "100000", name});
  EXPECT_EQ(up.status, 0) << up.out << up.err;
  EXPECT_EQ(read_number(limit_file), 128LL << 20) << limit_file;
  EXPECT_EQ(read_number("/sys/fs/cgroup/cpu" + cg + "/cpu.cfs_quota_us"), 50000) << "cpu quota of " << cg;
  auto rm = pm_->podman({"rm", "--force", "--time", "0", name});
  EXPECT_EQ(rm.status, 0) << rm.err;
  EXPECT_TRUE(cgroup_dirs(cg).empty()) << "container cgroup left behind: " << cg;
}

}  // namespace
