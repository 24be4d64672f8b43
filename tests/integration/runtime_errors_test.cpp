// Bad input: one line "skiff-runtime: <command> <id>: <reason>" on stderr, exit 1, nothing left behind.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "harness.hpp"

using namespace skiff::test;
using nlohmann::json;

namespace {

// Runs `create` on the bundle and checks the failure contract; returns stderr.
std::string expect_create_fails(Runtime& rt, const std::string& bundle, const std::string& id_in = "") {
  std::string id = id_in.empty() ? rt.unique_id("bad") : id_in;
  size_t mounts = mount_count();
  auto r = rt({"create", "--bundle", bundle, id});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  // Exactly one line.
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("skiff-runtime: create " + id + ": ", 0), 0u) << r.err;
  struct stat st;
  EXPECT_NE(stat((rt.root() + "/" + id).c_str(), &st), 0) << "state dir left behind for " << id;
  EXPECT_EQ(mount_count(), mounts) << "mounts left behind";
  return r.err;
}

}  // namespace

TEST(Errors, MissingBundle) {
  REQUIRE_ROOT();
  Runtime rt;
  auto err = expect_create_fails(rt, "/nonexistent/bundle");
  EXPECT_NE(err.find("/nonexistent/bundle"), std::string::npos);
}

TEST(Errors, MissingConfig) {
  REQUIRE_ROOT();
  Runtime rt;
  TempDir d;
  auto err = expect_create_fails(rt, d.path());
  EXPECT_NE(err.find("config.json"), std::string::npos) << err;
}

TEST(Errors, MalformedConfigNamesLineAndColumn) {
  REQUIRE_ROOT();
  Runtime rt;
  TempDir d;
  std::ofstream(d.path() + "/config.json")
      << "{\n  \"ociVersion\": \"1.0.0\",\n  \"root\": {\"path\": }\n}\n";
  auto err = expect_create_fails(rt, d.path());
  EXPECT_NE(err.find("config.json:3:"), std::string::npos) << err;
}

TEST(Errors, UnknownOciVersion) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["ociVersion"] = "2.0.0";
  b.write();
  auto err = expect_create_fails(rt, b.path());
  EXPECT_NE(err.find("2.0.0"), std::string::npos) << err;
}

TEST(Errors, MissingRootfs) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["root"]["path"] = "no-such-rootfs";
  b.write();
  auto err = expect_create_fails(rt, b.path());
  EXPECT_NE(err.find("no-such-rootfs"), std::string::npos) << err;
}

TEST(Errors, EmptyArgs) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["process"]["args"] = json::array();
  b.write();
  auto err = expect_create_fails(rt, b.path());
  EXPECT_NE(err.find("args"), std::string::npos) << err;
}

TEST(Errors, ExecutableNotInRootfs) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.set_args({"no-such-program", "--flag"});
  b.write();
  auto err = expect_create_fails(rt, b.path());
  EXPECT_NE(err.find("\"no-such-program\""), std::string::npos) << err;
  EXPECT_NE(err.find("not found"), std::string::npos) << err;
}

TEST(Errors, RelativeMountDestination) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["mounts"].push_back({{"destination", "relative/dir"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  b.write();
  auto err = expect_create_fails(rt, b.path());
  EXPECT_NE(err.find("relative/dir"), std::string::npos) << err;
}

TEST(Errors, UnknownMountType) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["mounts"].push_back({{"destination", "/x"}, {"type", "nosuchfs"}, {"source", "none"}});
  b.write();
  auto err = expect_create_fails(rt, b.path());
  EXPECT_NE(err.find("nosuchfs"), std::string::npos) << err;
}

TEST(Errors, MountFailureInTheChildLeavesNothing) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  // Valid JSON and a known type, but the kernel refuses the option: the failure comes from the init.
  b.config["mounts"].push_back(
      {{"destination", "/x"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"size=notanumber"}}});
  b.write();
  auto err = expect_create_fails(rt, b.path());
  EXPECT_NE(err.find("/x"), std::string::npos) << err;
}

TEST(Errors, DuplicateId) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.set_args({"/bin/sleep", "100"});
  b.write();
  std::string id = rt.unique_id("dupe");
  ASSERT_EQ(rt({"create", "--bundle", b.path(), id}).status, 0);
  auto r = rt({"create", "--bundle", b.path(), id});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
  // The first container is untouched by the failed second create.
  auto s = rt({"state", id});
  EXPECT_EQ(json::parse(s.out)["status"], "created");
  EXPECT_EQ(rt({"delete", "-f", id}).status, 0);
}

TEST(Errors, FailingHookNamesIt) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["hooks"] = {{"createContainer", {{{"path", "/no/such/hook"}}}}};
  b.write();
  auto err = expect_create_fails(rt, b.path());
  EXPECT_NE(err.find("/no/such/hook"), std::string::npos) << err;
}

TEST(Errors, UnknownSignalName) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.set_args({"/bin/sleep", "100"});
  b.write();
  std::string id = rt.unique_id("sig");
  ASSERT_EQ(rt({"create", "--bundle", b.path(), id}).status, 0);
  auto r = rt({"kill", id, "SIGBOGUS"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("SIGBOGUS"), std::string::npos) << r.err;
  EXPECT_EQ(rt({"delete", "-f", id}).status, 0);
}

TEST(Errors, BadContainerIds) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.write();
  for (const std::string id : {"a/b", "..", "../escape", "sp ace"}) {
    auto r = rt({"create", "--bundle", b.path(), id});
    EXPECT_EQ(r.status, 1) << id;
    EXPECT_NE(r.err.find("invalid container id"), std::string::npos) << r.err;
  }
  struct stat st;
  EXPECT_NE(stat((rt.root() + "/../escape").c_str(), &st), 0);
}

TEST(Errors, UnknownIdSaysDoesNotExist) {
  Runtime rt;
  for (const char* cmd : {"state", "start", "delete", "kill", "ps"}) {
    auto r = rt({cmd, "nope"});
    EXPECT_EQ(r.status, 1) << cmd;
    EXPECT_NE(r.err.find("container does not exist"), std::string::npos) << cmd << ": " << r.err;
  }
}

TEST(Errors, SystemdCgroupIsAClearError) {
  Runtime rt;
  auto r = rt({"--systemd-cgroup", "state", "x"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("systemd"), std::string::npos) << r.err;
}
