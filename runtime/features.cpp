#include "features.hpp"

#include <nlohmann/json.hpp>

#include "caps.hpp"
#include "seccomp.hpp"

namespace skiff {

std::string features_json() {
  nlohmann::ordered_json j;
  j["ociVersionMin"] = "1.0.0";
  j["ociVersionMax"] = "1.2.0";
  j["hooks"] = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};
  j["mountOptions"] = {"async",         "atime",        "bind",
                       "defaults",      "dev",          "diratime",
                       "dirsync",       "exec",         "idmap",
                       "iversion",      "lazytime",     "loud",
                       "mand",          "noatime",      "nodev",
                       "nodiratime",    "noexec",       "noiversion",
                       "nolazytime",    "nomand",       "norelatime",
                       "nostrictatime", "nosuid",       "nosymfollow",
                       "private",       "ratime",       "ridmap",
                       "rbind",         "rdev",         "rdiratime",
                       "relatime",      "remount",      "rexec",
                       "rnoatime",      "rnodev",       "rnodiratime",
                       "rnoexec",       "rnorelatime",  "rnostrictatime",
                       "rnosuid",       "rnosymfollow", "ro",
                       "rprivate",      "rrelatime",    "rro",
                       "rrw",           "rshared",      "rslave",
                       "rstrictatime",  "rsuid",        "rsymfollow",
                       "runbindable",   "rw",           "shared",
                       "silent",        "slave",        "strictatime",
                       "suid",          "symfollow",    "sync",
                       "unbindable"};
  nlohmann::ordered_json linux;
  linux["namespaces"] = {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"};
  linux["capabilities"] = known_capabilities();
  // Both cgroup versions (and hybrid hosts) are driven directly through cgroupfs; no systemd driver,
  // no rdma controller (runtime/cgroup.hpp).
  linux["cgroup"] = {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}, {"rdma", false}};
  // Apparmor and selinux are not applied: reported disabled.
  linux["seccomp"] = {{"enabled", true},
                      {"actions", seccomp::known_actions()},
                      {"operators", seccomp::known_operators()},
                      {"archs", seccomp::known_architectures()},
                      {"knownFlags", seccomp::known_flags()},
                      {"supportedFlags", seccomp::supported_flags()}};
  linux["apparmor"] = {{"enabled", false}};
  linux["selinux"] = {{"enabled", false}};
  linux["mountExtensions"] = {{"idmap", {{"enabled", true}}}};
  j["linux"] = linux;
  j["annotations"] = {{"org.opencontainers.runtime-spec.features.ociVersionMax", "1.2.0"}};
  return j.dump(4);
}

}  // namespace skiff
