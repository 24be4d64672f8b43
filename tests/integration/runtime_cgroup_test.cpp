// cgroups end to end with the real skiff-runtime on this host: placement, delete, limits enforced by
// the kernel (OOM kill, pids.max, cpu throttling, devices), pause/resume, update, events.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "cgroup.hpp"
#include "file_util.hpp"
#include "harness.hpp"

using namespace skiff::test;
using nlohmann::json;

#define REQUIRE_CGROUPS()                                                \
  do {                                                                   \
    if (!is_root()) GTEST_SKIP() << "needs root";                        \
    if (skiff::detect_cgroup_host().layout == skiff::CgroupLayout::none) \
      GTEST_SKIP() << "no cgroup hierarchy under /sys/fs/cgroup";        \
  } while (0)

namespace {

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

std::map<std::string, std::string> cgroup_paths(const Runtime& rt, const std::string& id) {
  auto j = json::parse(skiff::read_file(rt.root() + "/" + id + "/state.json"));
  return j.value("cgroupPaths", std::map<std::string, std::string>{});
}

std::string cg_file(const Runtime& rt, const std::string& id, const std::string& ctrl,
                    const std::string& file) {
  auto p = cgroup_paths(rt, id);
  std::string dir = p.count(ctrl) ? p.at(ctrl) : p.at("unified");
  std::string v = skiff::read_file(dir + "/" + file);
  while (!v.empty() && v.back() == '\n') v.pop_back();
  return v;
}

std::string status_of(const Runtime& rt, const std::string& id) {
  auto r = rt({"state", id});
  return r.status == 0 ? json::parse(r.out).value("status", "") : "";
}

std::vector<std::string> subdirs(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_directory(ec)) out.push_back(e.path().string());
  return out;
}

// The default paths a container with id gets on every hierarchy of this host.
std::vector<std::string> default_dirs(const std::string& id) {
  auto h = skiff::detect_cgroup_host();
  std::vector<std::string> out;
  for (const auto& [c, mnt] : h.v1_mounts) out.push_back(mnt + "/skiff/" + id);
  if (!h.unified_mount.empty()) out.push_back(h.unified_mount + "/skiff/" + id);
  return out;
}

}  // namespace

TEST(Cgroup, InitIsInItsCgroupsAndDeleteRemovesThem) {
  REQUIRE_CGROUPS();
  Runtime rt;
  Bundle b;
  b.set_args({"sleep", "30"});
  b.config["linux"]["namespaces"].push_back({{"type", "cgroup"}});
  b.write();
  std::string id = rt.unique_id("cg");
  ASSERT_EQ(rt({"run", "-d", "--bundle", b.path(), id}).status, 0);
  auto paths = cgroup_paths(rt, id);
  ASSERT_FALSE(paths.empty());
  for (const auto& d : default_dirs(id)) EXPECT_TRUE(exists(d)) << d;
  auto ps = rt({"ps", "--format", "json", id});
  ASSERT_EQ(ps.status, 0) << ps.err;
  auto pids = json::parse(ps.out);
  ASSERT_EQ(pids.size(), 1u);
  // The init is listed in every hierarchy's cgroup.procs.
  for (const auto& [ctrl, dir] : paths)
    EXPECT_EQ(skiff::read_file(dir + "/cgroup.procs"), std::to_string(pids[0].get<int>()) + "\n") << dir;
  // Inside, its cgroup namespace is rooted at the container's cgroup (every hierarchy shows "/").
  // An exec'd process is in them before its program starts (several tries: moving it late is a race).
  for (int i = 0; i < 20; ++i) {
    auto in = rt({"exec", id, "cat", "/proc/self/cgroup"});
    ASSERT_EQ(in.status, 0) << in.err;
    EXPECT_NE(in.out.find("0::/\n"), std::string::npos) << in.out;
    ASSERT_NE(in.out.find(":memory:/\n"), std::string::npos) << "exec " << i << ":\n" << in.out;
  }
  auto d = rt({"delete", "--force", id});
  ASSERT_EQ(d.status, 0) << d.err;
  for (const auto& dir : default_dirs(id)) {
    EXPECT_FALSE(exists(dir)) << dir;
    // The default parent goes with the last container in it. Other tests may be running containers
    // in it right now (or be between removing theirs and the parent), so only a parent that stays
    // empty for a second is a leak.
    std::string parent = dir.substr(0, dir.rfind('/'));
    bool leaked = true;
    for (int i = 0; i < 20 && leaked; ++i) {
      leaked = exists(parent) && subdirs(parent).empty();
      if (leaked) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_FALSE(leaked) << parent << " is left empty after the last container's delete";
  }
}

TEST(Cgroup, FailedCreateLeavesNoCgroup) {
  REQUIRE_CGROUPS();
  Runtime rt;
  Bundle b;
  b.set_args({"/no/such/program"});
  b.write();
  std::string id = rt.unique_id("cgfail");
  auto r = rt({"run", "--bundle", b.path(), id});
  EXPECT_NE(r.status, 0);
  for (const auto& d : default_dirs(id)) EXPECT_FALSE(exists(d)) << d;
}

TEST(Cgroup, TwoHundredCyclesLeaveNoCgroupDir) {
  REQUIRE_CGROUPS();
  Runtime rt;
  Bundle b;
  b.set_args({"/bin/true"});
  b.config["linux"]["resources"] = {{"memory", {{"limit", 64 << 20}}}, {"pids", {{"limit", 64}}}};
  b.write();
  for (int i = 0; i < 200; ++i) {
    std::string id = "cgcycle-" + std::to_string(getpid()) + "-" + std::to_string(i);
    ASSERT_EQ(rt({"create", "--bundle", b.path(), id}).status, 0) << i;
    ASSERT_EQ(rt({"start", id}).status, 0) << i;
    auto r = rt({"delete", "--force", id});
    ASSERT_EQ(r.status, 0) << i << r.err;
    for (const auto& d : default_dirs(id)) ASSERT_FALSE(exists(d)) << d;
  }
}

TEST(Cgroup, ACgroupInUseByOthersIsRefusedAndKept) {
  REQUIRE_CGROUPS();
  auto host = skiff::detect_cgroup_host();
  auto mem = host.v1_mounts.find("memory");
  if (mem == host.v1_mounts.end()) GTEST_SKIP() << "no v1 memory hierarchy";
  // A cgroup of someone else's, with a process in a sub-cgroup of it.
  std::string name = "skiff-test-busy-" + std::to_string(getpid());
  std::string dir = mem->second + "/" + name, sub = dir + "/inner";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(mkdir(sub.c_str(), 0755), 0);
  pid_t sleeper = fork();
  if (sleeper == 0) {
    execl("/bin/sleep", "sleep", "60", nullptr);
    _exit(127);
  }
  skiff::cgroup_detail::write(sub, "cgroup.procs", std::to_string(sleeper));
  Runtime rt;
  Bundle b;
  b.set_args({"/bin/true"});
  b.config["linux"]["cgroupsPath"] = "/" + name;
  b.write();
  std::string id = rt.unique_id("cgbusy");
  auto r = rt({"run", "--bundle", b.path(), id});
  kill(sleeper, SIGKILL);
  waitpid(sleeper, nullptr, 0);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("cgroup " + dir + " is in use by other processes"), std::string::npos) << r.err;
  EXPECT_TRUE(exists(sub)) << "someone else's cgroup was removed";
  EXPECT_FALSE(exists(rt.root() + "/" + id)) << "state left behind";
  for (const auto& d : {sub, dir})
    for (int i = 0; i < 200 && rmdir(d.c_str()) != 0 && errno == EBUSY; ++i) usleep(5000);
  if (!host.unified_mount.empty()) rmdir((host.unified_mount + "/" + name).c_str());
}

TEST(Cgroup, BadInputIsAClearErrorAndLeavesNothing) {
  REQUIRE_CGROUPS();
  Runtime rt;
  Bundle b;
  b.set_args({"/bin/true"});
  struct Case {
    json linux_patch;
    std::string expect;
  };
  std::vector<Case> cases = {
      {{{"cgroupsPath", "/skiff/../escape"}}, "\"..\" is not allowed"},
      {{{"resources", {{"memory", {{"limit", -7}}}}}}, "memory.limit"},
      {{{"resources", {{"pids", {{"limit", "many"}}}}}}, "pids.limit"},
      {{{"resources", {{"unified", {{"memory.nosuchkey", "1"}}}}}}, "unified"},
  };
  for (const auto& c : cases) {
    Bundle bb;
    bb.set_args({"/bin/true"});
    for (auto it = c.linux_patch.begin(); it != c.linux_patch.end(); ++it)
      bb.config["linux"][it.key()] = it.value();
    bb.write();
    std::string id = rt.unique_id("cgbad");
    auto r = rt({"create", "--bundle", bb.path(), id});
    EXPECT_NE(r.status, 0) << c.expect;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    for (const auto& d : default_dirs(id)) EXPECT_FALSE(exists(d)) << d;
    EXPECT_EQ(rt({"state", id}).status, 1);
  }
}

TEST(Cgroup, MemoryLimitOomKillIsReportedByEvents) {
  REQUIRE_CGROUPS();
  Runtime rt;
  Bundle b;
  // tail of a file without newlines buffers it all: it grows until the OOM killer takes it.
  b.set_args({"sh", "-c", "sleep 1; tail /dev/zero; sleep 1"});
  b.config["linux"]["resources"] = {{"memory", {{"limit", 32 << 20}, {"swap", 32 << 20}}}};
  b.write();
  std::string id = rt.unique_id("cgoom");
  ASSERT_EQ(rt({"run", "-d", "--bundle", b.path(), id}).status, 0);
  EXPECT_EQ(cg_file(rt, id, "memory", "memory.limit_in_bytes").size() > 0, true);
  // events streams until the container exits (about 2 s here): stats first, then the OOM event.
  auto ev = rt({"events", "--interval", "10m", id}, "", 60);
  ASSERT_EQ(ev.status, 0) << ev.err;
  EXPECT_NE(ev.out.find("{\"type\":\"oom\",\"id\":\"" + id + "\"}"), std::string::npos) << ev.out;
  EXPECT_NE(ev.out.find("\"type\":\"stats\""), std::string::npos) << ev.out;
}

TEST(Cgroup, PidsLimitStopsAForkLoop) {
  REQUIRE_CGROUPS();
  Runtime rt;
  Bundle b;
  b.set_args({"sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 5 & done; echo started"});
  b.config["linux"]["resources"] = {{"pids", {{"limit", 6}}}};
  b.write();
  std::string id = rt.unique_id("cgpids");
  auto r = rt({"run", "--bundle", b.path(), id}, "", 60);
  EXPECT_NE((r.out + r.err).find("can't fork"), std::string::npos) << r.out << r.err;
}

TEST(Cgroup, CpuQuotaThrottles) {
  REQUIRE_CGROUPS();
  Runtime rt;
  Bundle b;
  b.set_args({"sh", "-c", "while :; do :; done"});
  b.config["linux"]["resources"] = {{"cpu", {{"quota", 5000}, {"period", 100000}, {"shares", 512}}}};
  b.write();
  std::string id = rt.unique_id("cgcpu");
  ASSERT_EQ(rt({"run", "-d", "--bundle", b.path(), id}).status, 0);
  uint64_t throttled = 0;
  for (int i = 0; i < 100 && throttled == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto s = rt({"events", "--stats", id});
    ASSERT_EQ(s.status, 0) << s.err;
    throttled = json::parse(s.out)["data"]["cpu"]["throttling"].value("throttledPeriods", 0ull);
  }
  EXPECT_GT(throttled, 0u);
  EXPECT_EQ(rt({"delete", "--force", id}).status, 0);
}

TEST(Cgroup, DeniedDeviceCannotBeOpened) {
  REQUIRE_CGROUPS();
  Runtime rt;
  Bundle b;
  // /dev/kmsg (1:11) is not among the allowed devices: mknod is allowed, opening is not.
  b.set_args(
      {"sh", "-c", "mknod /dev/kmsg2 c 1 11 && cat /dev/kmsg2; echo rc=$?; cat /dev/null && echo null-ok"});
  b.config["linux"]["resources"]["devices"] = json::array({{{"allow", false}, {"access", "rwm"}}});
  b.write();
  auto r = rt({"run", "--bundle", b.path(), rt.unique_id("cgdev")}, "", 30);
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("null-ok"), std::string::npos) << r.out;
}

TEST(Cgroup, PauseResumeShowsPausedState) {
  REQUIRE_CGROUPS();
  Runtime rt;
  Bundle b;
  b.set_args({"sleep", "30"});
  b.write();
  std::string id = rt.unique_id("cgpause");
  ASSERT_EQ(rt({"run", "-d", "--bundle", b.path(), id}).status, 0);
  auto p = rt({"pause", id});
  ASSERT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(status_of(rt, id), "paused");
  EXPECT_NE(rt({"pause", id}).status, 0);
  EXPECT_NE(rt({"exec", id, "true"}).status, 0);
  auto r = rt({"resume", id});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(status_of(rt, id), "running");
  EXPECT_NE(rt({"resume", id}).status, 0);
  // A paused container can still be force-deleted.
  ASSERT_EQ(rt({"pause", id}).status, 0);
  auto d = rt({"delete", "--force", id});
  EXPECT_EQ(d.status, 0) << d.err;
}

TEST(Cgroup, UpdateChangesLiveLimits) {
  REQUIRE_CGROUPS();
  Runtime rt;
  Bundle b;
  b.set_args({"sleep", "30"});
  b.config["linux"]["resources"] = {{"memory", {{"limit", 64 << 20}}}, {"pids", {{"limit", 50}}}};
  b.write();
  std::string id = rt.unique_id("cgupd");
  ASSERT_EQ(rt({"run", "-d", "--bundle", b.path(), id}).status, 0);
  auto u = rt({"update", "--memory", "32m", "--pids-limit", "20", "--cpu-quota", "20000", "--cpu-period",
               "100000", id});
  ASSERT_EQ(u.status, 0) << u.err;
  auto h = skiff::detect_cgroup_host();
  if (h.layout != skiff::CgroupLayout::v2) {
    EXPECT_EQ(cg_file(rt, id, "memory", "memory.limit_in_bytes"), std::to_string(32 << 20));
    EXPECT_EQ(cg_file(rt, id, "pids", "pids.max"), "20");
    EXPECT_EQ(cg_file(rt, id, "cpu", "cpu.cfs_quota_us"), "20000");
  } else {
    EXPECT_EQ(cg_file(rt, id, "memory", "memory.max"), std::to_string(32 << 20));
    EXPECT_EQ(cg_file(rt, id, "pids", "pids.max"), "20");
  }
  auto j = rt({"update", "--resources", "-", id}, R"({"pids": {"limit": 30}})");
  ASSERT_EQ(j.status, 0) << j.err;
  EXPECT_EQ(cg_file(rt, id, "pids", "pids.max"), "30");
  auto bad = rt({"update", "--resources", "-", id}, R"({"pids": {"limit": -9}})");
  EXPECT_NE(bad.status, 0);
  EXPECT_EQ(cg_file(rt, id, "pids", "pids.max"), "30");
  auto bad2 = rt({"update", "--memory", "lots", id});
  EXPECT_NE(bad2.status, 0);
  EXPECT_NE(bad2.err.find("--memory"), std::string::npos) << bad2.err;
}

TEST(Cgroup, KillAllReachesEveryProcess) {
  REQUIRE_CGROUPS();
  Runtime rt;
  Bundle b;
  b.set_args({"sh", "-c", "sleep 30 & sleep 30 & wait"});
  b.write();
  std::string id = rt.unique_id("cgkill");
  ASSERT_EQ(rt({"run", "-d", "--bundle", b.path(), id}).status, 0);
  for (int i = 0; i < 100; ++i) {
    auto ps = rt({"ps", "--format", "json", id});
    if (json::parse(ps.out).size() == 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto k = rt({"kill", "--all", id, "KILL"});
  ASSERT_EQ(k.status, 0) << k.err;
  for (int i = 0; i < 200 && status_of(rt, id) != "stopped"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(status_of(rt, id), "stopped");
  EXPECT_EQ(json::parse(rt({"ps", "--format", "json", id}).out).size(), 0u);
}

// A container that arranges its processes in sub-cgroups of its own (systemd or a nested runtime in it
// does): ps lists them, delete kills them and removes the whole tree on every hierarchy.
TEST(Cgroup, SubCgroupsOfTheContainerGoWithIt) {
  REQUIRE_CGROUPS();
  Runtime rt;
  Bundle b;
  b.set_args({"sleep", "30"});
  b.write();
  std::string id = rt.unique_id("cgnest");
  ASSERT_EQ(rt({"run", "-d", "--bundle", b.path(), id}).status, 0);
  auto paths = cgroup_paths(rt, id);
  ASSERT_FALSE(paths.empty());
  std::string init = skiff::read_file(paths.begin()->second + "/cgroup.procs");
  while (!init.empty() && init.back() == '\n') init.pop_back();
  for (const auto& [ctrl, dir] : paths) {
    std::string inner = dir + "/inner", deeper = inner + "/deeper";
    ASSERT_EQ(::mkdir(inner.c_str(), 0755), 0) << inner;
    ASSERT_EQ(::mkdir(deeper.c_str(), 0755), 0) << deeper;
    // A new v1 cpuset child has no CPUs to run on until given some: the init stays where it is there.
    if (ctrl == "cpuset") continue;
    skiff::cgroup_detail::write(deeper, "cgroup.procs", init);
    EXPECT_EQ(skiff::read_file(dir + "/cgroup.procs"), "") << dir;
  }
  auto ps = rt({"ps", "--format", "json", id});
  ASSERT_EQ(ps.status, 0) << ps.err;
  EXPECT_EQ(json::parse(ps.out), json::array({std::stoi(init)}));
  auto d = rt({"delete", "--force", id});
  EXPECT_EQ(d.status, 0) << d.err;
  for (const auto& [ctrl, dir] : paths) EXPECT_FALSE(exists(dir)) << dir;
  // Gone, or a zombie its adoptive parent has not reaped yet.
  std::string stat;
  try {
    stat = skiff::read_file("/proc/" + init + "/stat");
  } catch (const std::exception&) {
  }
  EXPECT_TRUE(stat.empty() || stat.find(") Z ") != std::string::npos) << "the init survived: " << stat;
}

TEST(CgroupFeatures, ReportTheDriversThatExist) {
  // containerd and podman read linux.cgroup from `features`: v1 and v2 are driven, systemd is not.
  Runtime rt;
  auto r = rt({"features"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto cg = nlohmann::json::parse(r.out)["linux"]["cgroup"];
  EXPECT_EQ(cg["v1"], true);
  EXPECT_EQ(cg["v2"], true);
  EXPECT_EQ(cg["systemd"], false);
  EXPECT_EQ(cg["rdma"], false);
}
