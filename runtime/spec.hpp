// The OCI runtime-spec config.json (1.0.0 .. 1.2.x) as typed structs. Parsing and validation live in
// spec.cpp; the default config that `skiff-runtime spec` writes lives in spec_default.cpp.
// Sections that later issues own (linux.resources, linux.seccomp) are kept as raw JSON here so the core
// does not guess their meaning.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace skiff::spec {

struct Root {
  std::string path;  // as written: relative to the bundle, or absolute
  bool readonly = false;
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct Mount {
  std::string destination;  // absolute path inside the container
  std::string type;         // "" means bind when options contain bind/rbind
  std::string source;
  std::vector<std::string> options;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"
  int resource = -1;  // resolved RLIMIT_* number
  uint64_t soft = 0;
  uint64_t hard = 0;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
  std::string username;
};

struct Capabilities {
  std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

struct ConsoleSize {
  unsigned height = 0;
  unsigned width = 0;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  std::string cwd = "/";
  std::vector<std::string> env;
  std::vector<std::string> args;
  std::string command_line;  // Windows only; rejected if set without args
  std::vector<Rlimit> rlimits;
  std::string apparmor_profile;
  std::optional<Capabilities> capabilities;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  std::string selinux_label;
  User user;
  nlohmann::json scheduler;     // raw; null when absent
  nlohmann::json io_priority;   // raw; null when absent
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds, > 0
};

struct Hooks {
  std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart, poststop;
};

// One of: pid network mount ipc uts user cgroup time.
struct Namespace {
  std::string type;
  std::string path;  // non-empty: join this namespace instead of creating one
  int clone_flag = 0;  // CLONE_NEW*
};

struct Device {
  std::string type;  // c, u, b, p
  std::string path;
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;
};

struct Personality {
  std::string domain;  // LINUX or LINUX32
  std::vector<std::string> flags;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  std::map<std::string, TimeOffset> time_offsets;  // "monotonic", "boottime"
  std::map<std::string, std::string> sysctl;
  std::vector<Device> devices;
  std::string cgroups_path;
  std::string rootfs_propagation;  // "", shared, slave, private, unbindable, rshared, rslave, rprivate
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string mount_label;
  std::optional<Personality> personality;
  nlohmann::json resources;  // raw; null when absent (issue on cgroups)
  nlohmann::json seccomp;    // raw; null when absent (issue on isolation)
  nlohmann::json intel_rdt;  // raw; rejected if set
};

struct Spec {
  std::string oci_version;
  Root root;
  std::vector<Mount> mounts;
  std::optional<Process> process;  // required for create; optional in the spec itself
  std::string hostname;
  std::string domainname;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  std::optional<Linux> linux;

  // The namespace entry of `type`, or nullptr.
  const Namespace* find_namespace(const std::string& type) const;
};

// Parses and validates config.json text. Throws skiff::Error with a one-line reason; JSON syntax errors
// name line and column ("config.json:3:14: ..."). `origin` is used as the file name in messages.
Spec parse_spec(const std::string& text, const std::string& origin = "config.json");

// Reads <bundle>/config.json and parses it.
Spec load_spec(const std::string& bundle_dir);

// The default config.json that `skiff-runtime spec [--rootless]` writes: runc's shape and defaults.
nlohmann::json default_spec(bool rootless);

// Resolves "RLIMIT_NOFILE" to its number, or -1.
int rlimit_from_name(const std::string& name);
// Resolves "pid" -> CLONE_NEWPID etc., or 0. "network" is the spec's name for CLONE_NEWNET.
int namespace_flag_from_type(const std::string& type);

}  // namespace skiff::spec
