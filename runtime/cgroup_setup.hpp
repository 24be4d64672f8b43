// Creating a container's cgroups at `create`: driver for this host, directories, resources, and what the
// init needs to join them (a v2 directory fd for clone3, a sync step for v1, a deferred cgroupns).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "cgroup.hpp"
#include "container_init.hpp"
#include "unique_fd.hpp"

namespace skiff {

// The cgroups of a container being created: destroyed (processes killed, directories removed) unless
// released once the container exists.
struct CgroupGuard {
  std::unique_ptr<CgroupDriver> driver;
  bool released = false;
  CgroupGuard() = default;
  CgroupGuard(const CgroupGuard&) = delete;
  CgroupGuard& operator=(const CgroupGuard&) = delete;
  ~CgroupGuard() {
    if (!released) destroy_now();
  }
  std::map<std::string, std::string> paths() const {
    return driver ? driver->paths() : std::map<std::string, std::string>{};
  }
  // Kills what is left and removes the directories; failures are logged, not thrown.
  void destroy_now() noexcept;
};

// Creates the cgroups for container `id` from c.spec (linux.cgroupsPath, linux.resources,
// linux.devices), sets c.cgroup_sync / c.unshare_cgroupns, takes CLONE_NEWCGROUP out of the clone
// flags (the init unshares it once placed) and points cgroup mounts at the container's cgroups.
// Returns an fd of the v2 directory for clone3(CLONE_INTO_CGROUP), or an empty fd.
// Rootless without delegation: no cgroups, a warning naming why (an error for limits that need them
// only when not rootless).
UniqueFd setup_container_cgroups(const std::string& id, PreparedContainer& c, CgroupGuard& guard);

}  // namespace skiff
