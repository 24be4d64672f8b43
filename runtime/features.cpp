#include "features.hpp"

#include <nlohmann/json.hpp>

#include "caps.hpp"

namespace skiff {

std::string features_json() {
  nlohmann::ordered_json j;
  j["ociVersionMin"] = "1.0.0";
  j["ociVersionMax"] = "1.2.0";
  j["hooks"] = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};
  j["mountOptions"] = {"async",
                       "atime",
                       "bind",
                       "defaults",
                       "dev",
                       "diratime",
                       "dirsync",
                       "exec",
                       "iversion",
                       "lazytime",
                       "loud",
                       "mand",
                       "noatime",
                       "nodev",
                       "nodiratime",
                       "noexec",
                       "noiversion",
                       "nolazytime",
                       "nomand",
                       "norelatime",
                       "nostrictatime",
                       "nosuid",
                       "nosymfollow",
                       "private",
                       "ratime",
                       "rbind",
                       "rdev",
                       "rdiratime",
                       "relatime",
                       "remount",
                       "rexec",
                       "rnoatime",
                       "rnodev",
                       "rnodiratime",
                       "rnoexec",
                       "rnorelatime",
                       "rnostrictatime",
                       "rnosuid",
                       "rnosymfollow",
                       "ro",
                       "rprivate",
                       "rrelatime",
                       "rro",
                       "rrw",
                       "rshared",
                       "rslave",
                       "rstrictatime",
                       "rsuid",
                       "rsymfollow",
                       "runbindable",
                       "rw",
                       "shared",
                       "silent",
                       "slave",
                       "strictatime",
                       "suid",
                       "symfollow",
                       "sync",
                       "unbindable"};
  nlohmann::ordered_json linux;
  linux["namespaces"] = {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"};
  linux["capabilities"] = known_capabilities();
  // Seccomp, cgroups, apparmor, selinux and idmapped mounts are not applied yet:
  // they are left out (or reported disabled) until they work.
  linux["seccomp"] = {{"enabled", false}};
  linux["apparmor"] = {{"enabled", false}};
  linux["selinux"] = {{"enabled", false}};
  linux["mountExtensions"] = {{"idmap", {{"enabled", false}}}};
  j["linux"] = linux;
  j["annotations"] = {{"org.opencontainers.runtime-spec.features.ociVersionMax", "1.2.0"}};
  return j.dump(4);
}

}  // namespace skiff
