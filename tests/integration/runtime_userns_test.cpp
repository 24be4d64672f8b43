// User namespaces as root (maps written directly, several ranges), the mounts that fall back inside a
// user namespace (sysfs and mqueue bound from the host, devices bound instead of made), idmapped bind
// mounts, the capability sets a container process really gets, and the runtime binary out of reach.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "harness.hpp"

using namespace skiff::test;
using nlohmann::json;

namespace {

json map(uint32_t c, uint32_t h, uint32_t n) {
  return {{"containerID", c}, {"hostID", h}, {"size", n}};
}

void add_userns(Bundle& b, const json& uids, const json& gids) {
  b.config["linux"]["namespaces"].push_back({{"type", "user"}});
  b.config["linux"]["uidMappings"] = uids;
  b.config["linux"]["gidMappings"] = gids;
}

void drop_namespace(Bundle& b, const std::string& type) {
  auto& ns = b.config["linux"]["namespaces"];
  for (auto it = ns.begin(); it != ns.end(); ++it)
    if ((*it)["type"] == type) {
      ns.erase(it);
      return;
    }
}

struct stat stat_of(const std::string& p) {
  struct stat st = {};
  stat(p.c_str(), &st);
  return st;
}

}  // namespace

TEST(Userns, RootWritesSeveralRangesAndFilesGetTheMappedOwners) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  TempDir out("skiff-userns-out");
  chmod(out.path().c_str(), 0777);
  add_userns(b, json::array({map(0, 200000, 1000), map(1000, 300000, 1000)}),
             json::array({map(0, 200000, 1000), map(1000, 300000, 1000)}));
  b.config["mounts"].push_back(
      {{"destination", "/home"}, {"type", "bind"}, {"source", out.path()}, {"options", {"rbind", "rw"}}});
  for (const char* set : {"bounding", "effective", "permitted"})
    b.config["process"]["capabilities"][set].push_back("CAP_CHOWN");
  auto r =
      run_sh(rt, b, "cat /proc/self/uid_map; touch /home/a /home/b && chown 1500:1500 /home/b && echo done");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("300000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("done"), std::string::npos) << r.out;
  EXPECT_EQ(stat_of(out.path() + "/a").st_uid, 200000u);
  EXPECT_EQ(stat_of(out.path() + "/b").st_uid, 300500u);
  EXPECT_EQ(stat_of(out.path() + "/b").st_gid, 300500u);
}

TEST(Userns, BadMappingsAreOneLineErrors) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  add_userns(b, json::array({map(0, 200000, 1000), map(500, 400000, 10)}),
             json::array({map(0, 200000, 1000)}));
  b.write();
  std::string id = rt.unique_id("overlap");
  auto r = rt({"create", "--bundle", b.path(), id});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("linux.uidMappings[1]: container ids overlap linux.uidMappings[0]"), std::string::npos)
      << r.err;
  struct stat st;
  EXPECT_NE(stat((rt.root() + "/" + id).c_str(), &st), 0) << "state dir left behind";
}

TEST(Userns, SysfsMqueueAndDevicesFallBackInsideAUserNamespace) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  add_userns(b, json::array({map(0, 200000, 65536)}), json::array({map(0, 200000, 65536)}));
  // With the host's network namespace, a user namespace may not mount a fresh sysfs: it must come
  // from the host, with the flags the spec asked for. (mqueue: see the tests below.)
  drop_namespace(b, "network");
  auto& mounts = b.config["mounts"];
  for (auto it = mounts.begin(); it != mounts.end();) {
    if ((*it)["destination"] == "/sys/fs/cgroup") {
      it = mounts.erase(it);
    } else {
      ++it;
    }
  }
  auto r = run_sh(rt, b,
                  "ls /sys/kernel >/dev/null && echo sys-ok; touch /sys/kernel/x 2>/dev/null || echo sys-ro; "
                  "grep -q ' /dev/mqueue ' /proc/mounts && echo mq-ok; echo hi > /dev/null && echo null-ok; "
                  "head -c 4 /dev/urandom | wc -c");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* want : {"sys-ok", "sys-ro", "mq-ok", "null-ok"})
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  EXPECT_NE(r.out.find("4\n"), std::string::npos) << r.out;
}

TEST(Userns, MqueueIsTheHostsWhenTheIpcNamespaceIsShared) {
  REQUIRE_ROOT();
  // This host has no /dev/mqueue. The runtime runs in a private mount namespace whose /dev is an
  // overlay (nothing written to the real /dev) carrying a fresh mqueue with one queue in it.
  TempDir scratch("skiff-mq");
  Runtime rt;
  Bundle b;
  add_userns(b, json::array({map(0, 200000, 65536)}), json::array({map(0, 200000, 65536)}));
  drop_namespace(b, "ipc");  // a user namespace that does not own the ipc namespace: EPERM on mqueue
  b.set_args({"/bin/sh", "-c", "grep ' /dev/mqueue ' /proc/mounts; ls /dev/mqueue"});
  b.write();
  std::string id = rt.unique_id("mq");
  std::string t = scratch.path();
  std::string script = "set -e; mount -t tmpfs none " + t + "; mkdir " + t + "/u " + t +
                       "/w; mount -t overlay overlay -o lowerdir=/dev,upperdir=" + t + "/u,workdir=" + t +
                       "/w /dev; mkdir /dev/mqueue; mount -t mqueue mqueue /dev/mqueue; "
                       "touch /dev/mqueue/skiff-host-queue; exec " +
                       runtime_binary() + " --root " + rt.root() + " run --bundle " + b.path() + " " + id;
  size_t mounts = mount_count();
  auto r = run_command({"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script});
  ASSERT_EQ(r.status, 0) << r.err;
  // The host's instance (its queue is there), with the flags the spec asks for.
  EXPECT_NE(r.out.find("skiff-host-queue"), std::string::npos) << r.out;
  auto line = r.out.substr(0, r.out.find('\n'));
  EXPECT_NE(line.find(" mqueue "), std::string::npos) << line;
  for (const char* flag : {"nosuid", "nodev", "noexec"})
    EXPECT_NE(line.find(flag), std::string::npos) << line;
  EXPECT_EQ(mount_count(), mounts);
}

TEST(Userns, MqueueWithoutAHostInstanceIsAClearError) {
  REQUIRE_ROOT();
  struct stat st;
  if (stat("/dev/mqueue", &st) == 0) GTEST_SKIP() << "this host has /dev/mqueue";
  Runtime rt;
  Bundle b;
  add_userns(b, json::array({map(0, 200000, 65536)}), json::array({map(0, 200000, 65536)}));
  drop_namespace(b, "ipc");
  b.set_args({"/bin/true"});
  b.write();
  std::string id = rt.unique_id("mqerr");
  size_t mounts = mount_count();
  auto r = rt({"run", "--bundle", b.path(), id});
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("mount /dev/mqueue: mqueue refused in a user namespace"), std::string::npos) << r.err;
  EXPECT_NE(stat((rt.root() + "/" + id).c_str(), &st), 0) << "state dir left behind";
  EXPECT_EQ(mount_count(), mounts);
}

TEST(IdmappedMount, ShowsTheMappedOwners) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  TempDir src("skiff-idmap-src");
  std::string f0 = src.path() + "/owned-by-0", f5 = src.path() + "/owned-by-5";
  ASSERT_EQ(close(creat(f0.c_str(), 0644)), 0);
  ASSERT_EQ(close(creat(f5.c_str(), 0644)), 0);
  ASSERT_EQ(chown(f5.c_str(), 5, 5), 0);
  chmod(src.path().c_str(), 0755);
  b.config["mounts"].push_back({{"destination", "/home"},
                                {"type", "bind"},
                                {"source", src.path()},
                                {"options", {"bind", "ro"}},
                                {"uidMappings", json::array({map(0, 1000, 10)})},
                                {"gidMappings", json::array({map(0, 2000, 10)})}});
  b.config["mounts"].push_back(
      {{"destination", "/var"}, {"type", "bind"}, {"source", src.path()}, {"options", {"bind", "ro"}}});
  size_t mounts = mount_count();
  auto r = run_sh(rt, b, "stat -c '%n %u %g' /home/owned-by-0 /home/owned-by-5 /var/owned-by-5");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("/home/owned-by-0 1000 2000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/home/owned-by-5 1005 2005"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/var/owned-by-5 5 5"), std::string::npos) << r.out;
  // The host's view of the source is unchanged and nothing is left mounted.
  EXPECT_EQ(stat_of(f5).st_uid, 5u);
  EXPECT_EQ(mount_count(), mounts);
}

TEST(IdmappedMount, IdmapOptionTakesTheContainersMaps) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  TempDir src("skiff-idmap-src");
  std::string f = src.path() + "/root-file";
  ASSERT_EQ(close(creat(f.c_str(), 0644)), 0);
  chmod(src.path().c_str(), 0755);
  add_userns(b, json::array({map(0, 200000, 65536)}), json::array({map(0, 200000, 65536)}));
  b.config["mounts"].push_back(
      {{"destination", "/home"}, {"type", "bind"}, {"source", src.path()}, {"options", {"rbind", "ridmap"}}});
  b.config["mounts"].push_back(
      {{"destination", "/var"}, {"type", "bind"}, {"source", src.path()}, {"options", {"rbind"}}});
  auto r = run_sh(rt, b, "stat -c '%n %u' /home/root-file /var/root-file");
  ASSERT_EQ(r.status, 0) << r.err;
  // Host root is outside the container's maps (nobody) unless the mount maps it to the container's root.
  EXPECT_NE(r.out.find("/home/root-file 0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/var/root-file 65534"), std::string::npos) << r.out;
}

TEST(IdmappedMount, BadRequestsAreClearErrors) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  TempDir src("skiff-idmap-src");
  b.config["mounts"].push_back(
      {{"destination", "/home"}, {"type", "bind"}, {"source", src.path()}, {"options", {"bind", "idmap"}}});
  b.write();
  auto r = rt({"create", "--bundle", b.path(), rt.unique_id("idmap")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("needs uidMappings and gidMappings"), std::string::npos) << r.err;
  auto f = rt({"features"});
  json j = json::parse(f.out);
  EXPECT_EQ(j["linux"]["mountExtensions"]["idmap"]["enabled"], true);
  auto opts = j["mountOptions"];
  EXPECT_NE(std::find(opts.begin(), opts.end(), "ridmap"), opts.end());
}

TEST(Capabilities, SetsInsideMatchTheSpec) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  // CAP_CHOWN=0, CAP_KILL=5, CAP_NET_BIND_SERVICE=10; a non-root user keeps only what is ambient.
  b.config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  b.config["process"]["capabilities"] = {{"bounding", {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"}},
                                         {"permitted", {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"}},
                                         {"effective", {"CAP_KILL"}},
                                         {"inheritable", {"CAP_NET_BIND_SERVICE"}},
                                         {"ambient", {"CAP_NET_BIND_SERVICE"}}};
  auto r = run_sh(rt, b, "grep ^Cap /proc/self/status");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("CapInh:\t0000000000000400"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CapPrm:\t0000000000000400"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CapEff:\t0000000000000400"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CapBnd:\t0000000000000421"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CapAmb:\t0000000000000400"), std::string::npos) << r.out;
  // As root, the bounding set is what the spec says.
  b.config["process"]["user"] = {{"uid", 0}, {"gid", 0}};
  r = run_sh(rt, b, "grep ^CapBnd /proc/self/status");
  EXPECT_NE(r.out.find("CapBnd:\t0000000000000421"), std::string::npos) << r.out;
  // An unknown capability is an error naming it.
  b.config["process"]["capabilities"]["bounding"].push_back("CAP_TELEPORT");
  r = run_sh(rt, b, "true");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("unknown capability \"CAP_TELEPORT\""), std::string::npos) << r.err;
}

TEST(EscapeGuards, RuntimeBinaryIsNotReachableThroughProcExe) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.set_args({"/bin/sh", "-c", "true"});
  b.write();
  std::string id = rt.unique_id("exe");
  // While created, the container's pid 1 is still the runtime's child, waiting to exec: its
  // /proc/1/exe is the host's skiff-runtime binary (CVE-2019-5736 overwrote runc through it).
  ASSERT_EQ(rt({"create", "--bundle", b.path(), id}).status, 0);
  auto r = rt(
      {"exec", id, "/bin/sh", "-c",
       "readlink /proc/1/exe && echo link-readable; head -c 4 /proc/1/exe >/dev/null && echo exe-readable; "
       "(exec 3</proc/1/exe) && echo exe-openable; echo done"});
  EXPECT_NE(r.out.find("done"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.out.find("link-readable"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("exe-readable"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("exe-openable"), std::string::npos) << r.out;
  rt({"delete", "--force", id});
}

TEST(EscapeGuards, NoHostFdReachesTheContainer) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  // ls lists its own fds: stdio and the one it reads the directory with, nothing of the runtime's.
  auto r = run_sh(rt, b, "ls /proc/self/fd | tr '\\n' ' '");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "0 1 2 3 ") << r.out;
  // CVE-2024-21626: a cwd through a leaked fd of the runtime would start the process outside the
  // rootfs. With nothing leaked, each of these is an error at create time.
  for (int fd = 3; fd <= 8; ++fd) {
    Bundle c;
    c.config["process"]["cwd"] = "/proc/self/fd/" + std::to_string(fd);
    c.set_args({"/bin/sh", "-c", "pwd"});
    c.write();
    auto q = rt({"run", "--bundle", c.path(), rt.unique_id("cwd")});
    EXPECT_NE(q.status, 0) << "cwd fd " << fd << ": " << q.out;
    EXPECT_NE(q.err.find("chdir"), std::string::npos) << q.err;
  }
}
