// A container as the launcher takes it: what to run and with which policy, independent of where the
// request came from (a Pod's container spec, or `skiff run`'s flags). Everything is resolved already:
// env values expanded, volume sources are host paths, namespaces to join are paths. The launcher adds
// the image (its Entrypoint/Cmd, Env, WorkingDir, User) and turns both into an OCI config.json.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace skiff::launcher {

struct ResourceLimits {
  std::optional<uint64_t> cpu_shares;   // linux.resources.cpu.shares
  std::optional<int64_t> cpu_quota;     // linux.resources.cpu.quota (µs per period)
  std::optional<uint64_t> cpu_period;   // linux.resources.cpu.period (µs)
  std::optional<int64_t> memory_limit;  // linux.resources.memory.limit (bytes)
  std::optional<int64_t> pids_limit;    // linux.resources.pids.limit
  friend bool operator==(const ResourceLimits&, const ResourceLimits&) = default;
};

struct Mount {
  std::string destination;  // absolute path in the container
  std::string type = "bind";
  std::string source;                // a host path (bind) or the fs source (tmpfs)
  std::vector<std::string> options;  // e.g. {"rbind", "rprivate", "ro"}
  friend bool operator==(const Mount&, const Mount&) = default;
};

// A namespace the container joins (path set) or gets of its own (path empty).
struct Namespace {
  std::string type;  // OCI names: network, ipc, uts, pid, mount
  std::string path;
  friend bool operator==(const Namespace&, const Namespace&) = default;
};

enum class SeccompMode { runtime_default, unconfined, profile_file };

struct ContainerDescription {
  // The process. command set: replaces the image's Entrypoint and drops its Cmd; args: replaces Cmd.
  std::optional<std::vector<std::string>> command;
  std::vector<std::string> args;
  std::string working_dir;                               // empty: the image's, else "/"
  std::vector<std::pair<std::string, std::string>> env;  // over the image's Env, in this order
  bool tty = false;

  // Identity. Unset: the image's user (its group from the image's /etc/passwd).
  std::optional<int64_t> run_as_user, run_as_group;
  std::vector<int64_t> supplemental_groups;  // added to the user's groups

  // Privileges, on the runtime's default capability set.
  bool privileged = false;
  bool no_new_privileges = false;
  bool read_only_root = false;
  std::vector<std::string> cap_add, cap_drop;  // "NET_ADMIN" or "CAP_NET_ADMIN"; drop "ALL" clears
  SeccompMode seccomp = SeccompMode::runtime_default;
  std::string seccomp_profile;  // the profile file (Docker's format or OCI's) for profile_file

  ResourceLimits resources;
  std::optional<int> oom_score_adj;
  std::string cgroups_path;  // linux.cgroupsPath; empty: the runtime's default

  std::string hostname;               // empty: keep the UTS namespace joined (when one is), else "skiff"
  std::vector<Namespace> namespaces;  // replaces the runtime's default network/ipc/uts/pid entries
  std::vector<std::string> host_namespaces;  // types left out: the container shares the host's
  std::vector<Mount> mounts;                 // after the runtime's default mounts, in order
  std::map<std::string, std::string> annotations;
};

}  // namespace skiff::launcher
