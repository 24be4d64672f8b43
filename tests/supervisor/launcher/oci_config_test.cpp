// build_oci_config: what a neutral description and an image's config make of config.json.
#include "launcher/oci_config.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "error.hpp"
#include "test_util.hpp"

namespace skiff::launcher {
namespace {

using image::test::TempDir;
using image::test::write_text;
using nlohmann::json;

class OciConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir((root_ / "etc").c_str(), 0755);
    write_text(root_ / "etc/passwd",
               "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n"
               "www:x:33:33:www:/var/www:/bin/sh\n");
    write_text(root_ / "etc/group", "root:x:0:\napp:x:1000:\nwww:x:33:\naudio:x:29:app\n");
    image_.entrypoint = {"/bin/entry"};
    image_.cmd = {"--serve"};
    image_.env = {"PATH=/usr/bin:/bin", "MODE=image"};
    image_.working_dir = "/srv";
  }
  json build(const ContainerDescription& d) { return build_oci_config(image_, d, root_.path(), "fixture:1"); }
  static std::vector<std::string> caps(const json& spec) {
    return spec["process"]["capabilities"]["bounding"].get<std::vector<std::string>>();
  }
  static bool has(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  }
  TempDir root_;
  image::ImageConfig image_;
};

TEST_F(OciConfigTest, ImageEntrypointAndCmdWhenNeitherIsGiven) {
  auto spec = build({});
  EXPECT_EQ(spec["process"]["args"], json({"/bin/entry", "--serve"}));
  EXPECT_EQ(spec["process"]["cwd"], "/srv");
}

TEST_F(OciConfigTest, ArgsReplaceCmdAndKeepEntrypoint) {
  ContainerDescription d;
  d.args = {"--debug"};
  EXPECT_EQ(build(d)["process"]["args"], json({"/bin/entry", "--debug"}));
}

TEST_F(OciConfigTest, CommandReplacesEntrypointAndDropsCmd) {
  ContainerDescription d;
  d.command = std::vector<std::string>{"/bin/sh", "-c"};
  EXPECT_EQ(build(d)["process"]["args"], json({"/bin/sh", "-c"}));
  d.args = {"echo hi"};
  EXPECT_EQ(build(d)["process"]["args"], json({"/bin/sh", "-c", "echo hi"}));
}

TEST_F(OciConfigTest, NoCommandAnywhereIsAnError) {
  image_.entrypoint.clear();
  image_.cmd.clear();
  EXPECT_THROW(build({}), Error);
}

TEST_F(OciConfigTest, EnvOverridesTheImagesAndKeepsItsOrder) {
  ContainerDescription d;
  d.env = {{"MODE", "pod"}, {"EXTRA", "a=b"}};
  auto env = build(d)["process"]["env"].get<std::vector<std::string>>();
  EXPECT_TRUE(has(env, "MODE=pod"));
  EXPECT_FALSE(has(env, "MODE=image"));
  EXPECT_TRUE(has(env, "EXTRA=a=b"));
  EXPECT_TRUE(has(env, "PATH=/usr/bin:/bin"));
}

TEST_F(OciConfigTest, RunAsUserTakesItsGroupFromPasswdAndRunAsGroupOverrides) {
  ContainerDescription d;
  d.run_as_user = 1000;
  auto spec = build(d);
  EXPECT_EQ(spec["process"]["user"]["uid"], 1000);
  EXPECT_EQ(spec["process"]["user"]["gid"], 1000);
  d.run_as_group = 33;
  spec = build(d);
  EXPECT_EQ(spec["process"]["user"]["gid"], 33);
  d.run_as_user = 4242;  // not in the image: group 0 unless given
  d.run_as_group.reset();
  EXPECT_EQ(build(d)["process"]["user"]["gid"], 0);
}

TEST_F(OciConfigTest, ImageUserAndSupplementalGroups) {
  image_.user = "www";
  ContainerDescription d;
  d.supplemental_groups = {2000, 33};
  auto user = build(d)["process"]["user"];
  EXPECT_EQ(user["uid"], 33);
  EXPECT_EQ(user["additionalGids"], json({2000, 33}));
}

TEST_F(OciConfigTest, CapabilitiesOnTheDefaultSet) {
  ContainerDescription d;
  d.cap_add = {"NET_ADMIN"};
  d.cap_drop = {"NET_RAW", "CAP_MKNOD"};
  auto c = caps(build(d));
  EXPECT_TRUE(has(c, "CAP_NET_ADMIN"));
  EXPECT_TRUE(has(c, "CAP_CHOWN"));
  EXPECT_FALSE(has(c, "CAP_NET_RAW"));
  EXPECT_FALSE(has(c, "CAP_MKNOD"));
  d.cap_drop = {"ALL"};
  d.cap_add = {"NET_BIND_SERVICE"};
  EXPECT_EQ(caps(build(d)), std::vector<std::string>{"CAP_NET_BIND_SERVICE"});
  d.cap_add = {"ALL"};
  EXPECT_TRUE(has(caps(build(d)), "CAP_SYS_ADMIN"));
}

TEST_F(OciConfigTest, SeccompDefaultUnconfinedAndAFile) {
  ContainerDescription d;
  auto spec = build(d);
  ASSERT_TRUE(spec["linux"].contains("seccomp"));
  EXPECT_EQ(spec["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
  d.seccomp = SeccompMode::unconfined;
  EXPECT_FALSE(build(d)["linux"].contains("seccomp"));
  d.seccomp = SeccompMode::profile_file;
  d.seccomp_profile = root_ / "profile.json";
  write_text(d.seccomp_profile, R"({"defaultAction":"SCMP_ACT_LOG","syscalls":[]})");
  EXPECT_EQ(build(d)["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_LOG");
  write_text(d.seccomp_profile, "{not json");
  EXPECT_THROW(build(d), Error);
}

TEST_F(OciConfigTest, PrivilegedHasEveryCapabilityNoFilterNothingMasked) {
  ContainerDescription d;
  d.privileged = true;
  d.no_new_privileges = true;
  auto spec = build(d);
  EXPECT_TRUE(has(caps(spec), "CAP_SYS_ADMIN"));
  EXPECT_FALSE(spec["linux"].contains("seccomp"));
  EXPECT_FALSE(spec["linux"].contains("maskedPaths"));
  EXPECT_FALSE(spec["linux"].contains("readonlyPaths"));
  EXPECT_EQ(spec["process"]["noNewPrivileges"], false);
  EXPECT_EQ(spec["linux"]["resources"]["devices"], json::parse(R"([{"allow":true,"access":"rwm"}])"));
}

TEST_F(OciConfigTest, NoNewPrivilegesAndReadOnlyRoot) {
  ContainerDescription d;
  d.no_new_privileges = true;
  d.read_only_root = true;
  auto spec = build(d);
  EXPECT_EQ(spec["process"]["noNewPrivileges"], true);
  EXPECT_EQ(spec["root"]["readonly"], true);
}

TEST_F(OciConfigTest, ResourcesOomScoreAndCgroupsPath) {
  ContainerDescription d;
  d.resources.cpu_shares = 256;
  d.resources.cpu_quota = 25000;
  d.resources.cpu_period = 100000;
  d.resources.memory_limit = 64 << 20;
  d.oom_score_adj = 500;
  d.cgroups_path = "/skiff/pod-x";
  auto spec = build(d);
  const auto& r = spec["linux"]["resources"];
  EXPECT_EQ(r["cpu"], json::parse(R"({"shares":256,"quota":25000,"period":100000})"));
  EXPECT_EQ(r["memory"]["limit"], 64 << 20);
  EXPECT_TRUE(r.contains("devices"));  // the default spec's device rules stay
  EXPECT_EQ(spec["process"]["oomScoreAdj"], 500);
  EXPECT_EQ(spec["linux"]["cgroupsPath"], "/skiff/pod-x");
}

TEST_F(OciConfigTest, NamespacesJoinedByPathAndSharedWithTheHost) {
  ContainerDescription d;
  d.namespaces = {{"network", "/run/pods/u/ns/net"}, {"ipc", "/run/pods/u/ns/ipc"}};
  d.host_namespaces = {"uts"};
  auto nss = build(d)["linux"]["namespaces"];
  std::map<std::string, std::string> by_type;
  for (const auto& ns : nss) by_type[ns["type"]] = ns.value("path", "");
  EXPECT_EQ(by_type.at("network"), "/run/pods/u/ns/net");
  EXPECT_EQ(by_type.at("ipc"), "/run/pods/u/ns/ipc");
  EXPECT_EQ(by_type.count("uts"), 0u);
  EXPECT_EQ(by_type.at("pid"), "");
  EXPECT_EQ(by_type.at("mount"), "");
  EXPECT_EQ(nss.size(), 4u);
}

TEST_F(OciConfigTest, MountsAppendAndReplaceTheDefaultAtTheSameDestination) {
  ContainerDescription d;
  d.mounts = {{"/dev/shm", "bind", "/var/x/shm", {"rbind", "rprivate"}},
              {"/data", "bind", "/var/x/data", {"rbind", "rprivate", "ro"}}};
  auto mounts = build(d)["mounts"];
  int shm = 0;
  for (const auto& m : mounts)
    if (m["destination"] == "/dev/shm") {
      ++shm;
      EXPECT_EQ(m["source"], "/var/x/shm");
    }
  EXPECT_EQ(shm, 1);
  EXPECT_EQ(mounts.back()["destination"], "/data");
  EXPECT_EQ(mounts.back()["options"], json({"rbind", "rprivate", "ro"}));
  d.mounts = {{"relative", "bind", "/x", {}}};
  EXPECT_THROW(build(d), Error);
}

TEST_F(OciConfigTest, AnnotationsAndHostname) {
  ContainerDescription d;
  d.hostname = "web-0";
  d.annotations = {{"io.kubernetes.pod.name", "web-0"}};
  auto spec = build(d);
  EXPECT_EQ(spec["hostname"], "web-0");
  EXPECT_EQ(spec["annotations"]["io.kubernetes.pod.name"], "web-0");
  EXPECT_EQ(spec["annotations"]["org.opencontainers.image.ref.name"], "fixture:1");
}

}  // namespace
}  // namespace skiff::launcher
