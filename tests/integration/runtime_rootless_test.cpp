// Rootless end to end: skiff-runtime run by a real unprivileged user (created for the test with
// useradd, removed after), with the config `spec --rootless` writes. State lives under
// $XDG_RUNTIME_DIR/skiff-runtime; a single mapping of the user's own id is written directly, several
// ranges go through newuidmap/newgidmap and /etc/subuid; files the container makes have the mapped
// owners on the host.
#include <gtest/gtest.h>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>

#include <fstream>

#include "file_util.hpp"
#include "harness.hpp"
#include "userns.hpp"

using namespace skiff::test;
using nlohmann::json;

namespace {

#define REQUIRE_ROOT_AND_USER(u)                                                           \
  if (!is_root()) GTEST_SKIP() << "needs root to create the unprivileged test user";       \
  if (access("/usr/bin/newuidmap", X_OK) != 0) GTEST_SKIP() << "needs newuidmap (uidmap)"; \
  TestUser u;                                                                              \
  ASSERT_EQ(u.error(), "")

// A directory the test user owns (bundle, XDG_RUNTIME_DIR, a bind-mount source).
struct UserDir {
  UserDir(const TestUser& u, const char* stem, unsigned mode = 0700) : dir(stem) {
    EXPECT_EQ(chown(dir.path().c_str(), u.uid(), u.gid()), 0);
    chmod(dir.path().c_str(), mode);
  }
  TempDir dir;
  const std::string& path() const { return dir.path(); }
};

// The user's own `spec --rootless`, with the fixture rootfs, a command, and /home bound from `out` (an
// existing directory: the user cannot create one in the root-owned rootfs).
json rootless_config(const TestUser& u, const UserDir& bundle, const std::string& out,
                     const std::string& script) {
  auto r = u.runtime("/nonexistent", {"spec", "--rootless", "--bundle", bundle.path()});
  EXPECT_EQ(r.status, 0) << r.err;
  json c = json::parse(skiff::read_file(bundle.path() + "/config.json"));
  c["root"]["path"] = fixture_rootfs();
  c["process"]["terminal"] = false;
  c["process"]["args"] = {"/bin/sh", "-c", script};
  for (const char* set : {"bounding", "effective", "permitted"})
    c["process"]["capabilities"][set].push_back("CAP_CHOWN");
  c["mounts"].push_back(
      {{"destination", "/home"}, {"type", "bind"}, {"source", out}, {"options", {"rbind", "rw"}}});
  return c;
}

void write_config(const TestUser& u, const UserDir& bundle, const json& c) {
  std::string path = bundle.path() + "/config.json";
  unlink(path.c_str());
  skiff::write_file_atomic(path, c.dump(), 0644);
  EXPECT_EQ(chown(path.c_str(), u.uid(), u.gid()), 0);
}

uid_t owner_of(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_uid : static_cast<uid_t>(-1);
}
gid_t group_of(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_gid : static_cast<gid_t>(-1);
}

}  // namespace

TEST(Rootless, SingleMappingRunsWithStateUnderXdgRuntimeDir) {
  REQUIRE_ROOT_AND_USER(u);
  UserDir xdg(u, "skiff-xdg"), bundle(u, "skiff-rl-bundle", 0755), out(u, "skiff-rl-out", 0755);
  json c = rootless_config(u, bundle, out.path(),
                           "echo uid=$(id -u); cat /proc/self/uid_map; touch /home/made; sleep 20");
  EXPECT_EQ(c["linux"]["uidMappings"][0]["hostID"], u.uid());
  write_config(u, bundle, c);
  std::string id = "rootless-single";
  auto r = u.runtime(xdg.path(), {"run", "--detach", "--bundle", bundle.path(), id});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  // State is the user's, under $XDG_RUNTIME_DIR/skiff-runtime.
  std::string state = xdg.path() + "/skiff-runtime/" + id + "/state.json";
  EXPECT_EQ(owner_of(state), u.uid()) << state;
  auto st = u.runtime(xdg.path(), {"state", id});
  EXPECT_EQ(st.status, 0) << st.err;
  EXPECT_NE(st.out.find("\"running\""), std::string::npos) << st.out;
  for (int i = 0; i < 100 && owner_of(out.path() + "/made") == static_cast<uid_t>(-1); ++i) usleep(50000);
  EXPECT_EQ(owner_of(out.path() + "/made"), u.uid());
  EXPECT_EQ(group_of(out.path() + "/made"), u.gid());
  EXPECT_EQ(u.runtime(xdg.path(), {"kill", id, "KILL"}).status, 0);
  for (int i = 0; i < 100; ++i) {
    auto s = u.runtime(xdg.path(), {"state", id});
    if (s.out.find("\"stopped\"") != std::string::npos) break;
    usleep(50000);
  }
  auto d = u.runtime(xdg.path(), {"delete", id});
  EXPECT_EQ(d.status, 0) << d.err;
  struct stat sb;
  EXPECT_NE(stat((xdg.path() + "/skiff-runtime/" + id).c_str(), &sb), 0) << "state left behind";
}

TEST(Rootless, SeveralRangesGoThroughNewuidmap) {
  REQUIRE_ROOT_AND_USER(u);
  UserDir xdg(u, "skiff-xdg"), bundle(u, "skiff-rl-bundle", 0755), out(u, "skiff-rl-out", 0777);
  json c = rootless_config(u, bundle, out.path(),
                           "touch /home/root-made /home/user-made && chown 1000:1000 /home/user-made && "
                           "cat /proc/self/uid_map /proc/self/gid_map");
  c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", u.uid()}, {"size", 1}},
                               {{"containerID", 1}, {"hostID", u.subuid()}, {"size", 65536}}};
  c["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", u.gid()}, {"size", 1}},
                               {{"containerID", 1}, {"hostID", u.subgid()}, {"size", 65536}}};
  write_config(u, bundle, c);
  auto r = u.runtime(xdg.path(), {"run", "--bundle", bundle.path(), "rootless-multi"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(std::to_string(u.subuid())), std::string::npos) << r.out;
  EXPECT_EQ(owner_of(out.path() + "/root-made"), u.uid());
  EXPECT_EQ(owner_of(out.path() + "/user-made"), u.subuid() + 999);
  EXPECT_EQ(group_of(out.path() + "/user-made"), u.subgid() + 999);
}

TEST(Rootless, MappingsTheUserIsNotGrantedAreAClearError) {
  REQUIRE_ROOT_AND_USER(u);
  UserDir xdg(u, "skiff-xdg"), bundle(u, "skiff-rl-bundle", 0755), out(u, "skiff-rl-out");
  json c = rootless_config(u, bundle, out.path(), "true");
  c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", u.uid()}, {"size", 1}},
                               {{"containerID", 1}, {"hostID", 3000000000u}, {"size", 10}}};
  write_config(u, bundle, c);
  auto r = u.runtime(xdg.path(), {"create", "--bundle", bundle.path(), "rootless-denied"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("linux.uidMappings[1]: host ids 3000000000-3000000009 are not granted"),
            std::string::npos)
      << r.err;
  struct stat sb;
  EXPECT_NE(stat((xdg.path() + "/skiff-runtime/rootless-denied").c_str(), &sb), 0) << "state left behind";
  // Overlapping ranges are refused the same way.
  c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", u.uid()}, {"size", 1}},
                               {{"containerID", 0}, {"hostID", u.subuid()}, {"size", 10}}};
  write_config(u, bundle, c);
  r = u.runtime(xdg.path(), {"create", "--bundle", bundle.path(), "rootless-overlap"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("container ids overlap"), std::string::npos) << r.err;
}

// podman's rootless mode: the runtime runs as uid 0 of the user's namespace, with no user namespace
// of the container's own in the config. It owns nothing on the host there, so it must act rootless:
// state under $XDG_RUNTIME_DIR, device nodes bound (mknod is refused), cgroups only when delegated.
TEST(Rootless, AsRootOfAUserNamespaceLikePodman) {
  if (!is_root()) GTEST_SKIP() << "needs root: makes a user namespace mapping root";
  TempDir xdg("skiff-xdg");
  Bundle b;
  // As podman does when the user namespace maps no group 5 (tty).
  for (auto& m : b.config["mounts"])
    if (m["destination"] == "/dev/pts") {
      json opts = json::array();
      for (const auto& o : m["options"])
        if (o.get<std::string>().rfind("gid=", 0) != 0) opts.push_back(o);
      m["options"] = opts;
    }
  b.set_args({"/bin/sh", "-c", "ls -ln /dev/null /dev/urandom; cat /proc/self/uid_map"});
  b.write();
  std::string id = "usernsroot-" + std::to_string(getpid());
  auto r = run_command({"/usr/bin/env", "XDG_RUNTIME_DIR=" + xdg.path(), "/usr/bin/unshare", "--user",
                        "--map-root-user", runtime_binary(), "run", "--bundle", b.path(), id});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("1,   3"), std::string::npos) << r.out;  // /dev/null, the host's node
  EXPECT_NE(r.out.find("1,   9"), std::string::npos) << r.out;  // /dev/urandom
  EXPECT_NE(r.out.find("         0          0          1"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("cgroups: not used"), std::string::npos) << r.err;
  struct stat st;
  EXPECT_EQ(stat((xdg.path() + "/skiff-runtime").c_str(), &st), 0) << "state root not under XDG_RUNTIME_DIR";
  EXPECT_NE(stat((xdg.path() + "/skiff-runtime/" + id).c_str(), &st), 0) << "state left behind";
  EXPECT_NE(stat(("/run/skiff-runtime/" + id).c_str(), &st), 0) << "state went to the host's root";
}
