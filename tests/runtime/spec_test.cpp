// config.json parsing and validation: what is accepted, what is refused and how the refusal reads.
#include "spec.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "error.hpp"

using nlohmann::json;
using skiff::Error;
namespace spec = skiff::spec;

namespace {

// The smallest config the parser accepts with a process: the base every case below edits.
json base_config() {
  return json{{"ociVersion", "1.0.2"},
              {"root", {{"path", "rootfs"}}},
              {"process", {{"args", {"/bin/true"}}, {"cwd", "/"}}},
              {"linux", {{"namespaces", json::array({{{"type", "mount"}}})}}}};
}

std::string error_of_text(const std::string& text) {
  try {
    spec::parse_spec(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
std::string error_of(const json& j) { return error_of_text(j.dump()); }

// Asserts that `j` is refused and that the reason contains `needle`.
#define EXPECT_REFUSED(j, needle)                                          \
  do {                                                                     \
    std::string why_ = error_of(j);                                        \
    EXPECT_FALSE(why_.empty()) << "accepted: " << (j).dump();               \
    EXPECT_NE(why_.find(needle), std::string::npos) << "reason: " << why_; \
  } while (0)

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/skiff-spec-XXXXXX";
    path = ::mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST(SpecParse, BaseConfigIsAccepted) {
  spec::Spec s = spec::parse_spec(base_config().dump());
  EXPECT_EQ(s.oci_version, "1.0.2");
  EXPECT_EQ(s.root.path, "rootfs");
  EXPECT_FALSE(s.root.readonly);
  ASSERT_TRUE(s.process);
  EXPECT_EQ(s.process->args, std::vector<std::string>{"/bin/true"});
  EXPECT_EQ(s.process->cwd, "/");
  ASSERT_TRUE(s.linux);
  ASSERT_NE(s.find_namespace("mount"), nullptr);
  EXPECT_EQ(s.find_namespace("mount")->clone_flag, CLONE_NEWNS);
  EXPECT_EQ(s.find_namespace("pid"), nullptr);
}

TEST(SpecParse, ReadsEveryField) {
  json j = base_config();
  j["root"]["readonly"] = true;
  j["hostname"] = "h";
  j["domainname"] = "d.example";
  j["annotations"] = {{"org.example.key", "v"}};
  j["process"] = {{"terminal", true},
                  {"consoleSize", {{"height", 40}, {"width", 120}}},
                  {"user", {{"uid", 1000}, {"gid", 100}, {"umask", 18}, {"additionalGids", {5, 6}}}},
                  {"args", {"sh", "-c", "true"}},
                  {"env", {"A=1", "B="}},
                  {"cwd", "/tmp"},
                  {"rlimits", json::array({{{"type", "RLIMIT_NOFILE"}, {"soft", 100}, {"hard", 200}},
                                           {{"type", "RLIMIT_RTTIME"}, {"soft", 1}, {"hard", 2}}})},
                  {"capabilities", {{"bounding", {"CAP_KILL"}}, {"ambient", json::array()}}},
                  {"noNewPrivileges", true},
                  {"oomScoreAdj", -500},
                  {"apparmorProfile", "p"},
                  {"selinuxLabel", "l"},
                  {"scheduler", {{"policy", "SCHED_OTHER"}}},
                  {"ioPriority", {{"class", "IOPRIO_CLASS_BE"}, {"priority", 4}}}};
  j["mounts"] = json::array({{{"destination", "/data"}, {"source", "/srv"}, {"options", {"rbind", "ro"}}},
                             {{"destination", "/tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"}}});
  j["hooks"] = {{"createRuntime", json::array({{{"path", "/bin/hook"}, {"args", {"hook", "x"}},
                                                 {"env", {"K=V"}}, {"timeout", 5}}})},
                {"poststop", json::array({{{"path", "/bin/other"}}})}};
  j["linux"] = {
      {"namespaces", json::array({{{"type", "mount"}},
                                  {{"type", "uts"}},
                                  {{"type", "network"}, {"path", "/var/run/netns/x"}},
                                  {{"type", "user"}},
                                  {{"type", "time"}},
                                  {{"type", "cgroup"}}})},
      {"uidMappings", json::array({{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}})},
      {"gidMappings", json::array({{{"containerID", 0}, {"hostID", 200000}, {"size", 1000}}})},
      {"timeOffsets", {{"monotonic", {{"secs", -10}, {"nanosecs", 5}}}, {"boottime", {{"secs", 20}}}}},
      {"sysctl", {{"net.ipv4.ip_forward", "1"}}},
      {"devices", json::array({{{"type", "c"}, {"path", "/dev/fuse"}, {"major", 10}, {"minor", 229},
                                {"fileMode", 438}, {"uid", 0}, {"gid", 5}},
                               {{"type", "p"}, {"path", "/dev/fifo"}}})},
      {"cgroupsPath", "/skiff/x"},
      {"rootfsPropagation", "rslave"},
      {"maskedPaths", {"/proc/kcore"}},
      {"readonlyPaths", {"/proc/sys"}},
      {"mountLabel", "m"},
      {"personality", {{"domain", "LINUX32"}}},
      {"resources", {{"pids", {{"limit", 10}}}}},
      {"seccomp", {{"defaultAction", "SCMP_ACT_ALLOW"}}}};

  spec::Spec s = spec::parse_spec(j.dump());
  EXPECT_TRUE(s.root.readonly);
  EXPECT_EQ(s.hostname, "h");
  EXPECT_EQ(s.domainname, "d.example");
  EXPECT_EQ(s.annotations.at("org.example.key"), "v");
  const spec::Process& p = *s.process;
  EXPECT_TRUE(p.terminal);
  ASSERT_TRUE(p.console_size);
  EXPECT_EQ(p.console_size->height, 40u);
  EXPECT_EQ(p.console_size->width, 120u);
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.gid, 100u);
  EXPECT_EQ(p.user.umask, 18u);
  EXPECT_EQ(p.user.additional_gids, (std::vector<uint32_t>{5, 6}));
  EXPECT_EQ(p.env, (std::vector<std::string>{"A=1", "B="}));
  EXPECT_EQ(p.cwd, "/tmp");
  ASSERT_EQ(p.rlimits.size(), 2u);
  EXPECT_EQ(p.rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(p.rlimits[0].soft, 100u);
  EXPECT_EQ(p.rlimits[0].hard, 200u);
  EXPECT_EQ(p.rlimits[1].resource, RLIMIT_RTTIME);
  ASSERT_TRUE(p.capabilities);
  EXPECT_EQ(p.capabilities->bounding, std::vector<std::string>{"CAP_KILL"});
  EXPECT_TRUE(p.capabilities->ambient.empty());
  EXPECT_TRUE(p.no_new_privileges);
  EXPECT_EQ(p.oom_score_adj, -500);
  EXPECT_EQ(p.apparmor_profile, "p");
  EXPECT_EQ(p.selinux_label, "l");
  EXPECT_EQ(p.scheduler, j["process"]["scheduler"]);
  EXPECT_EQ(p.io_priority, j["process"]["ioPriority"]);

  ASSERT_EQ(s.mounts.size(), 2u);
  EXPECT_EQ(s.mounts[0].destination, "/data");
  EXPECT_EQ(s.mounts[0].type, "");
  EXPECT_EQ(s.mounts[0].options, (std::vector<std::string>{"rbind", "ro"}));
  EXPECT_EQ(s.mounts[1].type, "tmpfs");

  ASSERT_EQ(s.hooks.create_runtime.size(), 1u);
  EXPECT_EQ(s.hooks.create_runtime[0].path, "/bin/hook");
  EXPECT_EQ(s.hooks.create_runtime[0].args, (std::vector<std::string>{"hook", "x"}));
  EXPECT_EQ(s.hooks.create_runtime[0].env, std::vector<std::string>{"K=V"});
  EXPECT_EQ(s.hooks.create_runtime[0].timeout, 5);
  ASSERT_EQ(s.hooks.poststop.size(), 1u);
  EXPECT_FALSE(s.hooks.poststop[0].timeout);

  const spec::Linux& l = *s.linux;
  ASSERT_EQ(l.namespaces.size(), 6u);
  EXPECT_EQ(s.find_namespace("network")->path, "/var/run/netns/x");
  EXPECT_EQ(s.find_namespace("network")->clone_flag, CLONE_NEWNET);
  EXPECT_EQ(s.find_namespace("user")->clone_flag, CLONE_NEWUSER);
  EXPECT_EQ(s.find_namespace("cgroup")->clone_flag, CLONE_NEWCGROUP);
  ASSERT_EQ(l.uid_mappings.size(), 1u);
  EXPECT_EQ(l.uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(l.uid_mappings[0].size, 65536u);
  EXPECT_EQ(l.gid_mappings[0].host_id, 200000u);
  EXPECT_EQ(l.time_offsets.at("monotonic").secs, -10);
  EXPECT_EQ(l.time_offsets.at("monotonic").nanosecs, 5u);
  EXPECT_EQ(l.time_offsets.at("boottime").secs, 20);
  EXPECT_EQ(l.sysctl.at("net.ipv4.ip_forward"), "1");
  ASSERT_EQ(l.devices.size(), 2u);
  EXPECT_EQ(l.devices[0].major, 10);
  EXPECT_EQ(l.devices[0].minor, 229);
  EXPECT_EQ(l.devices[0].file_mode, 438u);
  EXPECT_EQ(l.devices[0].gid, 5u);
  EXPECT_EQ(l.devices[1].type, "p");
  EXPECT_EQ(l.cgroups_path, "/skiff/x");
  EXPECT_EQ(l.rootfs_propagation, "rslave");
  EXPECT_EQ(l.masked_paths, std::vector<std::string>{"/proc/kcore"});
  EXPECT_EQ(l.readonly_paths, std::vector<std::string>{"/proc/sys"});
  EXPECT_EQ(l.mount_label, "m");
  ASSERT_TRUE(l.personality);
  EXPECT_EQ(l.personality->domain, "LINUX32");
  EXPECT_EQ(l.resources, j["linux"]["resources"]);
  EXPECT_EQ(l.seccomp, j["linux"]["seccomp"]);
  EXPECT_TRUE(l.intel_rdt.is_null());
}

TEST(SpecParse, NullMeansAbsentAndUnknownMembersAreIgnored) {
  json j = base_config();
  j["hostname"] = nullptr;
  j["hooks"] = nullptr;
  j["process"]["env"] = nullptr;
  j["x-vendor-extension"] = {{"anything", {1, 2}}};
  j["process"]["x-unknown"] = 3;
  spec::Spec s = spec::parse_spec(j.dump());
  EXPECT_TRUE(s.hostname.empty());
  EXPECT_TRUE(s.process->env.empty());
}

TEST(SpecParse, ProcessIsOptional) {
  json j = base_config();
  j.erase("process");
  EXPECT_FALSE(spec::parse_spec(j.dump()).process);
}

TEST(SpecSyntax, ErrorNamesLineAndColumn) {
  // The bad character's position is computed from the text, not written down.
  const std::string text = "{\n  \"ociVersion\": \"1.0.0\",\n  \"root\": {\"path\": @}\n}\n";
  size_t at = text.find('@');
  size_t line_start = text.rfind('\n', at) + 1;
  size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
  std::string want = "bundle.json:" + std::to_string(line) + ":" + std::to_string(at - line_start + 1) + ": ";
  try {
    spec::parse_spec(text, "bundle.json");
    FAIL() << "accepted";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_EQ(what.rfind(want, 0), 0u) << what;
    EXPECT_EQ(what.find("json.exception"), std::string::npos) << what;
    EXPECT_NE(what.find("syntax error"), std::string::npos) << what;
  }
}

TEST(SpecSyntax, ErrorOnFirstLineAndAtEnd) {
  EXPECT_EQ(error_of_text("{,}").rfind("config.json:1:2: ", 0), 0u) << error_of_text("{,}");
  // Truncated input: the error is at the end of the last line.
  std::string cut = "{\n\"ociVersion\": \"1.0.0\"";
  std::string why = error_of_text(cut);
  std::string want = "config.json:2:" + std::to_string(cut.size() - cut.find('\n')) + ": ";
  EXPECT_EQ(why.rfind(want, 0), 0u) << why;
  EXPECT_FALSE(error_of_text("").empty());
  EXPECT_NE(error_of_text("[]").find("top level"), std::string::npos);
}

TEST(SpecLoad, MissingFileNamesThePath) {
  TempDir d;
  try {
    spec::load_spec(d.path);
    FAIL() << "loaded a missing config";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "open " + d.path + "/config.json: No such file or directory");
    EXPECT_EQ(e.err(), ENOENT);
  }
}

TEST(SpecLoad, ReadsTheBundleConfig) {
  TempDir d;
  json j = base_config();
  j["hostname"] = "from-file";
  j["linux"]["namespaces"].push_back({{"type", "uts"}});
  std::ofstream(d.path + "/config.json") << j.dump(2);
  EXPECT_EQ(spec::load_spec(d.path).hostname, "from-file");
}

TEST(SpecVersion, AcceptsOneZeroThroughOneTwo) {
  for (const char* v : {"1.0.0", "1.0.1", "1.0.2", "1.0.2-dev", "1.0.0-rc5", "1.1.0", "1.1.0-rc.1", "1.1.0+dev",
                        "1.2.0", "1.2.1", "1.2.99", "1.2.0-rc.1+build.7", "1.0.3-x-y.z"}) {
    json j = base_config();
    j["ociVersion"] = v;
    EXPECT_EQ(error_of(j), "") << v;
  }
}

TEST(SpecVersion, RefusesOthersNamingTheVersion) {
  for (const char* v : {"2.0.0", "1.3.0", "0.9.0", "0.5.0-dev", "1.0", "1", "1.0.0.0", "01.0.0", "1.00.0", "1.0.0-",
                        "1.0.0+", "1.0.0-rc..1", "1.0.0-r$", "v1.0.0", "", " 1.0.0", "1.10.0"}) {
    json j = base_config();
    j["ociVersion"] = v;
    EXPECT_EQ(error_of(j), std::string("config.json: unsupported ociVersion \"") + v +
                               "\" (supported: 1.0.0 to 1.2.x)");
  }
  json j = base_config();
  j.erase("ociVersion");
  EXPECT_REFUSED(j, "ociVersion: required");
  j["ociVersion"] = 1;
  EXPECT_REFUSED(j, "ociVersion: expected string, got unsigned integer");
}

TEST(SpecTypes, WrongTypesNameThePath) {
  json j = base_config();
  j["process"]["user"] = {{"uid", "0"}};
  EXPECT_EQ(error_of(j), "config.json: process.user.uid: expected unsigned integer, got string");
  j["process"]["user"] = {{"uid", -1}};
  EXPECT_REFUSED(j, "process.user.uid: expected unsigned integer, got negative integer");
  j["process"]["user"] = {{"uid", 1.5}};
  EXPECT_REFUSED(j, "process.user.uid: expected unsigned integer, got number");
  j["process"]["user"] = {{"uid", 4294967296ULL}};
  EXPECT_REFUSED(j, "process.user.uid: 4294967296 is out of range (0 to 4294967295)");
  j["process"]["user"] = {{"uid", 4294967295ULL}};
  EXPECT_EQ(spec::parse_spec(j.dump()).process->user.uid, 4294967295u);

  j = base_config();
  j["process"]["args"] = "sh";
  EXPECT_REFUSED(j, "process.args: expected array, got string");
  j["process"]["args"] = {"sh", 1};
  EXPECT_REFUSED(j, "process.args[1]: expected string, got unsigned integer");
  j = base_config();
  j["process"]["terminal"] = "true";
  EXPECT_REFUSED(j, "process.terminal: expected boolean, got string");
  j = base_config();
  j["root"]["readonly"] = 1;
  EXPECT_REFUSED(j, "root.readonly: expected boolean");
  j = base_config();
  j["mounts"] = {{"destination", "/x"}};
  EXPECT_REFUSED(j, "mounts: expected array, got object");
  j = base_config();
  j["linux"]["sysctl"] = {{"net.core.somaxconn", 256}};
  EXPECT_REFUSED(j, "linux.sysctl[\"net.core.somaxconn\"]: expected string");
  j = base_config();
  j["annotations"] = {{"a", true}};
  EXPECT_REFUSED(j, "annotations.a: expected string, got boolean");
  j = base_config();
  j["linux"]["resources"] = json::array();
  EXPECT_REFUSED(j, "linux.resources: expected object, got array");
  j = base_config();
  j["process"]["capabilities"] = {"CAP_KILL"};  // the pre-1.0 shape
  EXPECT_REFUSED(j, "process.capabilities: expected object, got array");
  j = base_config();
  j["process"]["oomScoreAdj"] = 1001;
  EXPECT_REFUSED(j, "process.oomScoreAdj: 1001 is out of range (-1000 to 1000)");
  j = base_config();
  j["process"]["consoleSize"] = {{"height", 70000}, {"width", 80}};
  EXPECT_REFUSED(j, "process.consoleSize.height: 70000 is out of range (0 to 65535)");
  j["process"]["consoleSize"] = {{"height", 24}};
  EXPECT_REFUSED(j, "process.consoleSize.width: required");
  j = base_config();
  j["process"]["user"] = {{"umask", 01000}};
  EXPECT_REFUSED(j, "process.user.umask: 512 is out of range (0 to 511)");
}

TEST(SpecRoot, PathIsRequired) {
  json j = base_config();
  j.erase("root");
  EXPECT_REFUSED(j, "root.path: required");
  j["root"] = json::object();
  EXPECT_REFUSED(j, "root.path: required");
  j["root"] = {{"path", ""}};
  EXPECT_REFUSED(j, "root.path: must not be empty");
  j["root"] = {{"path", "/abs/rootfs"}};
  EXPECT_EQ(spec::parse_spec(j.dump()).root.path, "/abs/rootfs");
}

TEST(SpecProcess, ArgsCwdAndEnv) {
  json j = base_config();
  j["process"]["args"] = json::array();
  EXPECT_REFUSED(j, "process.args: must not be empty");
  j["process"].erase("args");
  EXPECT_REFUSED(j, "process.args: must not be empty");
  j = base_config();
  j["process"]["args"] = {""};
  EXPECT_REFUSED(j, "process.args[0]: must not be empty");
  j = base_config();
  j["process"]["args"] = {"a", std::string("b\0c", 3)};
  EXPECT_REFUSED(j, "process.args[1]: contains a NUL byte");

  j = base_config();
  j["process"]["cwd"] = "tmp";
  EXPECT_REFUSED(j, "process.cwd: \"tmp\" is not an absolute path");
  j["process"]["cwd"] = "";
  EXPECT_REFUSED(j, "process.cwd: \"\" is not an absolute path");
  j["process"].erase("cwd");
  EXPECT_REFUSED(j, "process.cwd: required");

  j = base_config();
  j["process"]["env"] = {"A=1", "NOEQUALS"};
  EXPECT_REFUSED(j, "process.env[1]: \"NOEQUALS\" is not of the form KEY=value");
  j["process"]["env"] = {"=value"};
  EXPECT_REFUSED(j, "process.env[0]");
  j["process"]["env"] = {"EMPTY="};
  EXPECT_EQ(error_of(j), "");
}

TEST(SpecProcess, Rlimits) {
  json j = base_config();
  auto rl = [](const char* type, uint64_t soft, uint64_t hard) {
    return json{{"type", type}, {"soft", soft}, {"hard", hard}};
  };
  j["process"]["rlimits"] = json::array({rl("RLIMIT_BOGUS", 1, 1)});
  EXPECT_REFUSED(j, "process.rlimits[0].type: unknown rlimit type \"RLIMIT_BOGUS\"");
  j["process"]["rlimits"] = json::array({rl("RLIMIT_NOFILE", 2048, 1024)});
  EXPECT_REFUSED(j, "process.rlimits[0]: RLIMIT_NOFILE: soft limit 2048 is greater than hard limit 1024");
  j["process"]["rlimits"] = json::array({rl("RLIMIT_CORE", 1, 1), rl("RLIMIT_NOFILE", 1, 1), rl("RLIMIT_CORE", 2, 2)});
  EXPECT_REFUSED(j, "process.rlimits[2].type: duplicate rlimit type RLIMIT_CORE");
  j["process"]["rlimits"] = json::array({{{"type", "RLIMIT_CORE"}, {"soft", 1}}});
  EXPECT_REFUSED(j, "process.rlimits[0].hard: required");
  // RLIM_INFINITY is the largest uint64 and must survive the trip.
  j["process"]["rlimits"] = json::array({rl("RLIMIT_CORE", UINT64_MAX, UINT64_MAX)});
  EXPECT_EQ(spec::parse_spec(j.dump()).process->rlimits[0].hard, RLIM_INFINITY);
}

TEST(SpecProcess, RlimitNamesResolveToTheirNumbers) {
  const std::pair<const char*, int> known[] = {
      {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_STACK", RLIMIT_STACK},     {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},   {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},     {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_RTTIME", RLIMIT_RTTIME}};
  std::set<int> seen;
  for (const auto& [name, number] : known) {
    EXPECT_EQ(spec::rlimit_from_name(name), number) << name;
    seen.insert(number);
  }
  // Every resource the kernel has (RLIM_NLIMITS) is reachable by name.
  EXPECT_EQ(seen.size(), static_cast<size_t>(RLIM_NLIMITS));
  EXPECT_EQ(spec::rlimit_from_name("rlimit_nofile"), -1);
  EXPECT_EQ(spec::rlimit_from_name("NOFILE"), -1);
}

TEST(SpecMounts, DestinationMustBeAbsolute) {
  json j = base_config();
  j["mounts"] = json::array({{{"destination", "/ok"}, {"type", "tmpfs"}, {"source", "tmpfs"}},
                             {{"destination", "relative/dir"}, {"type", "tmpfs"}, {"source", "tmpfs"}}});
  EXPECT_EQ(error_of(j), "config.json: mounts[1].destination: \"relative/dir\" is not an absolute path");
  j["mounts"][1].erase("destination");
  EXPECT_REFUSED(j, "mounts[1].destination: required");
}

TEST(SpecMounts, TypesAreChecked) {
  for (const char* t : {"proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup", "cgroup2", "overlay", "bind"}) {
    json j = base_config();
    j["mounts"] = json::array({{{"destination", "/m"}, {"type", t}, {"source", "x"}}});
    EXPECT_EQ(error_of(j), "") << t;
  }
  for (const char* t : {"", "none", "bind"}) {
    for (const char* opt : {"bind", "rbind"}) {
      json j = base_config();
      j["mounts"] = json::array({{{"destination", "/m"}, {"source", "/srv"}, {"options", {"ro", opt}}}});
      if (*t) j["mounts"][0]["type"] = t;
      EXPECT_EQ(error_of(j), "") << t << " " << opt;
    }
  }
  json j = base_config();
  j["mounts"] = json::array();
  for (int i = 0; i < 3; ++i) j["mounts"].push_back({{"destination", "/ok"}, {"type", "tmpfs"}});
  j["mounts"].push_back({{"destination", "/bad"}, {"type", "nosuchfs"}});
  EXPECT_EQ(error_of(j), "config.json: mounts[3]: unknown mount type \"nosuchfs\"");
  j["mounts"][3] = {{"destination", "/bad"}, {"type", "none"}, {"source", "/srv"}};
  EXPECT_REFUSED(j, "mounts[3]: mount type \"none\" needs the bind or rbind option");
  j["mounts"][3] = {{"destination", "/bad"}, {"source", "/srv"}, {"options", {"ro"}}};
  EXPECT_REFUSED(j, "mounts[3]: mount type \"\" needs the bind or rbind option");
}

TEST(SpecMounts, OptionWordsAreLeftToTheMountCode) {
  json j = base_config();
  j["mounts"] = json::array({{{"destination", "/t"}, {"type", "tmpfs"}, {"options", {"frobnicate", "size=1k"}}}});
  EXPECT_EQ(spec::parse_spec(j.dump()).mounts[0].options, (std::vector<std::string>{"frobnicate", "size=1k"}));
}

TEST(SpecNamespaces, TypesDuplicatesAndPaths) {
  for (const char* t : {"pid", "network", "mount", "ipc", "uts", "cgroup", "time"}) {
    json j = base_config();
    if (std::string(t) != "mount") j["linux"]["namespaces"].push_back({{"type", t}});
    spec::Spec s = spec::parse_spec(j.dump());
    ASSERT_NE(s.find_namespace(t), nullptr) << t;
    EXPECT_EQ(s.find_namespace(t)->clone_flag, spec::namespace_flag_from_type(t));
  }
  json j = base_config();
  j["linux"]["namespaces"].push_back({{"type", "net"}});
  EXPECT_REFUSED(j, "linux.namespaces[1].type: unknown namespace type \"net\"");
  j = base_config();
  j["linux"]["namespaces"].push_back({{"type", "mount"}, {"path", "/proc/1/ns/mnt"}});
  EXPECT_REFUSED(j, "linux.namespaces[1].type: duplicate namespace type \"mount\"");
  j = base_config();
  j["linux"]["namespaces"].push_back({{"type", "network"}, {"path", "run/netns/x"}});
  EXPECT_REFUSED(j, "linux.namespaces[1].path: \"run/netns/x\" is not an absolute path");
  j = base_config();
  j["linux"]["namespaces"].push_back({{"path", "/x"}});
  EXPECT_REFUSED(j, "linux.namespaces[1].type: required");
}

TEST(SpecNamespaces, FlagsAreTheKernelsAndDistinct) {
  const std::pair<const char*, int> expected[] = {{"pid", CLONE_NEWPID},   {"network", CLONE_NEWNET},
                                                  {"mount", CLONE_NEWNS},  {"ipc", CLONE_NEWIPC},
                                                  {"uts", CLONE_NEWUTS},   {"user", CLONE_NEWUSER},
                                                  {"cgroup", CLONE_NEWCGROUP}, {"time", 0x80}};
  for (const auto& [type, flag] : expected) EXPECT_EQ(spec::namespace_flag_from_type(type), flag) << type;
  EXPECT_EQ(spec::namespace_flag_from_type("net"), 0);
  EXPECT_EQ(spec::namespace_flag_from_type("mnt"), 0);
  EXPECT_EQ(spec::namespace_flag_from_type("PID"), 0);
}

TEST(SpecNamespaces, UserNamespaceAndMappings) {
  json j = base_config();
  json map = json::array({{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}});
  j["linux"]["namespaces"].push_back({{"type", "user"}});
  EXPECT_REFUSED(j, "linux.uidMappings: required with a new user namespace");
  j["linux"]["uidMappings"] = map;
  EXPECT_REFUSED(j, "linux.gidMappings: required with a new user namespace");
  j["linux"]["gidMappings"] = map;
  EXPECT_EQ(error_of(j), "");
  // Joining an existing user namespace: its mappings are already written.
  j["linux"]["namespaces"][1]["path"] = "/proc/1/ns/user";
  j["linux"].erase("uidMappings");
  j["linux"].erase("gidMappings");
  EXPECT_EQ(error_of(j), "");

  j = base_config();
  j["linux"]["uidMappings"] = map;
  EXPECT_REFUSED(j, "linux.uidMappings: set, but linux.namespaces has no user namespace");
  j["linux"]["namespaces"].push_back({{"type", "user"}});
  j["linux"]["gidMappings"] = json::array({{{"containerID", 0}, {"hostID", 1000}, {"size", 0}}});
  EXPECT_REFUSED(j, "linux.gidMappings[0].size: must be greater than 0");
  j["linux"]["gidMappings"] = json::array({{{"containerID", 0}, {"size", 1}}});
  EXPECT_REFUSED(j, "linux.gidMappings[0].hostID: required");
}

TEST(SpecNamespaces, TimeOffsets) {
  json j = base_config();
  j["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 1}}}};
  EXPECT_REFUSED(j, "linux.timeOffsets: set, but linux.namespaces has no time namespace");
  j["linux"]["namespaces"].push_back({{"type", "time"}});
  EXPECT_EQ(error_of(j), "");
  j["linux"]["timeOffsets"] = {{"realtime", {{"secs", 1}}}};
  EXPECT_REFUSED(j, "linux.timeOffsets.realtime: unknown clock \"realtime\" (expected monotonic or boottime)");
  j["linux"]["timeOffsets"] = {{"boottime", {{"nanosecs", 1000000000}}}};
  EXPECT_REFUSED(j, "linux.timeOffsets.boottime.nanosecs: 1000000000 is out of range");
  j["linux"]["timeOffsets"] = {{"boottime", {{"secs", "1"}}}};
  EXPECT_REFUSED(j, "linux.timeOffsets.boottime.secs: expected integer, got string");
  // A time namespace without offsets is fine; offsets into a joined one are not.
  j["linux"].erase("timeOffsets");
  EXPECT_EQ(error_of(j), "");
  j["linux"]["namespaces"][1]["path"] = "/proc/1/ns/time";
  j["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 1}}}};
  EXPECT_REFUSED(j, "linux.timeOffsets: set, but the time namespace is joined by path");
}

TEST(SpecNamespaces, HostnameNeedsPrivateUts) {
  json j = base_config();
  j["hostname"] = "box";
  EXPECT_EQ(error_of(j), "config.json: unable to set hostname without a private UTS namespace");
  j.erase("hostname");
  j["domainname"] = "example";
  EXPECT_EQ(error_of(j), "config.json: unable to set domainname without a private UTS namespace");
  j["hostname"] = "box";
  j["linux"]["namespaces"].push_back({{"type", "uts"}});
  EXPECT_EQ(error_of(j), "");
  j.erase("linux");
  EXPECT_REFUSED(j, "unable to set hostname without a private UTS namespace");
}

TEST(SpecLinux, Devices) {
  json j = base_config();
  auto dev = [](const char* type, const char* path) {
    return json{{"type", type}, {"path", path}, {"major", 1}, {"minor", 3}};
  };
  for (const char* t : {"c", "b", "u", "p"}) {
    j["linux"]["devices"] = json::array({dev(t, "/dev/x")});
    EXPECT_EQ(error_of(j), "") << t;
  }
  j["linux"]["devices"] = json::array({dev("c", "/dev/x"), dev("x", "/dev/y")});
  EXPECT_REFUSED(j, "linux.devices[1].type: unknown device type \"x\" (expected c, b, u or p)");
  j["linux"]["devices"] = json::array({dev("c", "dev/x")});
  EXPECT_REFUSED(j, "linux.devices[0].path: \"dev/x\" is not an absolute path");
  j["linux"]["devices"] = json::array({{{"type", "c"}, {"path", "/dev/x"}, {"minor", 1}}});
  EXPECT_REFUSED(j, "linux.devices[0].major: required");
  j["linux"]["devices"] = json::array({{{"type", "p"}, {"path", "/dev/fifo"}}});
  EXPECT_EQ(error_of(j), "");
  j["linux"]["devices"] = json::array({{{"type", "c"}, {"path", "/dev/x"}, {"major", 4096}, {"minor", 0}}});
  EXPECT_REFUSED(j, "linux.devices[0].major: 4096 is out of range (0 to 4095)");
}

TEST(SpecLinux, PersonalityPropagationAndPaths) {
  json j = base_config();
  j["linux"]["personality"] = {{"domain", "LINUX"}};
  EXPECT_EQ(error_of(j), "");
  j["linux"]["personality"] = {{"domain", "SVR4"}};
  EXPECT_REFUSED(j, "linux.personality.domain: unknown personality domain \"SVR4\"");
  j["linux"]["personality"] = {{"domain", "LINUX"}, {"flags", {"ADDR_NO_RANDOMIZE"}}};
  EXPECT_REFUSED(j, "linux.personality.flags[0]: unknown personality flag \"ADDR_NO_RANDOMIZE\"");
  j["linux"]["personality"] = {{"domain", "LINUX"}, {"flags", json::array()}};
  EXPECT_EQ(error_of(j), "");

  j = base_config();
  for (const char* p : {"shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable"}) {
    j["linux"]["rootfsPropagation"] = p;
    EXPECT_EQ(error_of(j), "") << p;
  }
  j["linux"]["rootfsPropagation"] = "sideways";
  EXPECT_REFUSED(j, "linux.rootfsPropagation: unknown propagation \"sideways\"");

  j = base_config();
  j["linux"]["maskedPaths"] = {"/proc/kcore", "proc/keys"};
  EXPECT_REFUSED(j, "linux.maskedPaths[1]: \"proc/keys\" is not an absolute path");
  j = base_config();
  j["linux"]["readonlyPaths"] = {"sys"};
  EXPECT_REFUSED(j, "linux.readonlyPaths[0]: \"sys\" is not an absolute path");
}

TEST(SpecLinux, IntelRdtIsNotSupported) {
  json j = base_config();
  j["linux"]["intelRdt"] = {{"closID", "x"}};
  EXPECT_REFUSED(j, "linux.intelRdt: not supported");
}

TEST(SpecHooks, PathAndTimeout) {
  json j = base_config();
  j["hooks"] = {{"prestart", json::array({{{"path", "hook.sh"}}})}};
  EXPECT_REFUSED(j, "hooks.prestart[0].path: \"hook.sh\" is not an absolute path");
  j["hooks"] = {{"poststart", json::array({{{"path", "/h"}, {"timeout", 0}}})}};
  EXPECT_REFUSED(j, "hooks.poststart[0].timeout: must be greater than 0");
  j["hooks"] = {{"poststart", json::array({{{"path", "/h"}, {"timeout", -3}}})}};
  EXPECT_REFUSED(j, "hooks.poststart[0].timeout: must be greater than 0");
  j["hooks"] = {{"startContainer", json::array({{{"args", {"x"}}}})}};
  EXPECT_REFUSED(j, "hooks.startContainer[0].path: required");
  j["hooks"] = {{"createContainer", json::array({{{"path", "/h"}, {"timeout", 1.5}}})}};
  EXPECT_REFUSED(j, "hooks.createContainer[0].timeout: expected integer");
}

TEST(SpecAnnotations, KeysMustNotBeEmpty) {
  json j = base_config();
  j["annotations"] = {{"", "v"}};
  EXPECT_REFUSED(j, "annotations: a key must not be empty");
}

// `skiff-runtime spec` output is a config we accept ourselves.
TEST(SpecDefault, RoundTripsThroughTheParser) {
  for (bool rootless : {false, true}) {
    json d = spec::default_spec(rootless);
    spec::Spec s = spec::parse_spec(d.dump(1, '\t'));
    EXPECT_EQ(s.oci_version, "1.2.0");
    EXPECT_EQ(s.hostname, "skiff");
    EXPECT_EQ(s.root.path, "rootfs");
    EXPECT_TRUE(s.root.readonly);
    ASSERT_TRUE(s.process);
    EXPECT_TRUE(s.process->terminal);
    EXPECT_EQ(s.process->args, std::vector<std::string>{"sh"});
    ASSERT_TRUE(s.process->capabilities);
    EXPECT_EQ(s.process->capabilities->bounding.size(), 3u);
    ASSERT_EQ(s.process->rlimits.size(), 1u);
    EXPECT_EQ(s.process->rlimits[0].resource, RLIMIT_NOFILE);
    EXPECT_NE(s.find_namespace("uts"), nullptr);
    EXPECT_NE(s.find_namespace("mount"), nullptr);
    EXPECT_EQ(s.find_namespace("network") != nullptr, !rootless) << rootless;
    EXPECT_EQ(s.find_namespace("user") != nullptr, rootless) << rootless;
    EXPECT_EQ(s.linux->resources.is_null(), rootless);
    bool has_cgroup = false, has_gid5 = false;
    for (const auto& m : s.mounts) {
      has_cgroup = has_cgroup || m.type == "cgroup";
      for (const auto& o : m.options) has_gid5 = has_gid5 || o == "gid=5";
      if (m.destination == "/sys") {
        EXPECT_EQ(m.type, rootless ? "none" : "sysfs");
      }
    }
    EXPECT_EQ(has_cgroup, !rootless);
    EXPECT_EQ(has_gid5, !rootless);
    if (rootless) {
      ASSERT_EQ(s.linux->uid_mappings.size(), 1u);
      EXPECT_EQ(s.linux->uid_mappings[0].host_id, ::geteuid());
      EXPECT_EQ(s.linux->uid_mappings[0].container_id, 0u);
      EXPECT_EQ(s.linux->gid_mappings[0].host_id, ::getegid());
    }
  }
}

namespace {

// `runc spec [--rootless]` run in a fresh directory; null when runc is not installed.
json runc_spec(bool rootless) {
  const char* runc = nullptr;
  for (const char* p : {"/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc", "/usr/local/bin/runc"})
    if (::access(p, X_OK) == 0) runc = p;
  if (!runc) return nullptr;
  TempDir d;
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(d.path.c_str()) < 0) _exit(127);
    if (rootless)
      ::execl(runc, "runc", "spec", "--rootless", static_cast<char*>(nullptr));
    else
      ::execl(runc, "runc", "spec", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return nullptr;
  std::ifstream in(d.path + "/config.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

}  // namespace

// The same fields and values as runc's template, apart from the documented differences.
TEST(SpecDefault, MatchesRuncSpec) {
  for (bool rootless : {false, true}) {
    json theirs = runc_spec(rootless);
    if (theirs.is_null()) {
      GTEST_SKIP() << "runc is not installed (apt-get install runc) or `runc spec` failed";
    }
    theirs["ociVersion"] = "1.2.0";
    theirs["hostname"] = "skiff";
    if (rootless) {
      // runc 1.1 keeps a cgroup mount in the rootless template; ours relies on the rbind of /sys.
      auto& mounts = theirs["mounts"];
      for (auto it = mounts.begin(); it != mounts.end();)
        it = (*it)["type"] == "cgroup" ? mounts.erase(it) : it + 1;
    }
    EXPECT_EQ(spec::default_spec(rootless), theirs) << "rootless=" << rootless << "\nours:   "
                                                    << spec::default_spec(rootless).dump() << "\ntheirs: "
                                                    << theirs.dump();
  }
}
