// The config.json that `skiff-runtime spec [--rootless]` writes: the shape and defaults of runc 1.1's
// `runc spec`, so tools and people that edit runc's template find every field where they expect it.
// Differences on purpose: ociVersion (the newest we implement) and the hostname.
#include <unistd.h>

#include "spec.hpp"

namespace skiff::spec {
namespace {

using json = nlohmann::json;

json mount(const char* destination, const char* type, const char* source, json options) {
  json m = {{"destination", destination}, {"type", type}, {"source", source}};
  if (!options.empty()) m["options"] = std::move(options);
  return m;
}

json id_map(unsigned host_id) { return json{{"containerID", 0}, {"hostID", host_id}, {"size", 1}}; }

}  // namespace

json default_spec(bool rootless) {
  // runc's default capability set: what an unprivileged shell needs and nothing more.
  const json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  json process = {
      {"terminal", true},
      {"user", {{"uid", 0}, {"gid", 0}}},
      {"args", {"sh"}},
      {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
      {"cwd", "/"},
      {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
      {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
      {"noNewPrivileges", true},
  };

  // A rootless container cannot own a devpts group id or mount a fresh sysfs (it has no network
  // namespace of its own), so as runc does: no gid=5, and /sys is a read-only rbind of the host's.
  json devpts_options = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"};
  if (!rootless) devpts_options.push_back("gid=5");
  json mounts = json::array();
  mounts.push_back(mount("/proc", "proc", "proc", json::array()));
  mounts.push_back(mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  mounts.push_back(mount("/dev/pts", "devpts", "devpts", std::move(devpts_options)));
  mounts.push_back(mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
  mounts.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  if (rootless) {
    mounts.push_back(mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
    // No cgroup mount: the rbind of /sys already carries the host's /sys/fs/cgroup read-only, and a
    // rootless runtime cannot mount a cgroup hierarchy of its own.
  } else {
    mounts.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
    mounts.push_back(mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}));
  }

  json namespaces = json::array();
  namespaces.push_back({{"type", "pid"}});
  if (!rootless) namespaces.push_back({{"type", "network"}});  // rootless: no way to configure one
  namespaces.push_back({{"type", "ipc"}});
  namespaces.push_back({{"type", "uts"}});
  namespaces.push_back({{"type", "mount"}});
  if (rootless) namespaces.push_back({{"type", "user"}});

  json linux_section = {
      {"namespaces", std::move(namespaces)},
      {"maskedPaths",
       {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
      {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
  };
  if (rootless) {
    // The caller's own ids become root inside; the only mapping an unprivileged user may write.
    linux_section["uidMappings"] = json::array({id_map(::geteuid())});
    linux_section["gidMappings"] = json::array({id_map(::getegid())});
  } else {
    linux_section["resources"] = {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}};
  }

  return json{
      {"ociVersion", "1.2.0"},
      {"process", std::move(process)},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "skiff"},
      {"mounts", std::move(mounts)},
      {"linux", std::move(linux_section)},
  };
}

}  // namespace skiff::spec
