#include "cgroup_setup.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "error.hpp"
#include "log.hpp"

namespace skiff {

void CgroupGuard::destroy_now() noexcept {
  if (!driver) return;
  try {
    driver->destroy();
  } catch (const std::exception& e) {
    log::warn(std::string("remove cgroups: ") + e.what());
  }
  driver.reset();
}

UniqueFd setup_container_cgroups(const std::string& id, PreparedContainer& c, CgroupGuard& guard) {
  const spec::Linux* lx = c.spec.linux ? &*c.spec.linux : nullptr;
  // Bad input fails before anything exists.
  CgroupResources res = parse_cgroup_resources(lx ? lx->resources : nlohmann::json());
  std::string why;
  auto driver = new_cgroup_driver(detect_cgroup_host(), lx ? lx->cgroups_path : "", id, &why);
  if (!driver) {
    log::warn("cgroups: not used for " + id + ": " + why +
              (lx && !lx->resources.is_null() ? " (linux.resources ignored)" : ""));
    return UniqueFd();
  }
  if (res.has_devices && lx) {
    // Devices the spec creates are usable too (runc allows them the same way).
    for (const auto& d : lx->devices) {
      if (d.type == "p") continue;
      res.devices.push_back({true, d.type == "b" ? 'b' : 'c', d.major, d.minor, "rwm"});
    }
  }
  driver->create();
  guard.driver = std::move(driver);
  guard.driver->apply(res, /*update=*/false);

  c.cgroup_sync = true;
  if (c.ns.clone_flags & CLONE_NEWCGROUP) {
    c.ns.clone_flags &= ~static_cast<unsigned long>(CLONE_NEWCGROUP);
    c.unshare_cgroupns = true;
  }
  // A cgroup mount in the container shows the container's own cgroups.
  auto paths = guard.driver->paths();
  for (auto& src : c.cgroups.sources) {
    for (const auto& [name, dir] : paths) {
      std::string prefix = "/sys/fs/cgroup/" + src.name + "/";
      if (dir.rfind(prefix, 0) == 0) src.host_path = dir;
    }
  }
  UniqueFd fd;
  std::string unified = guard.driver->unified_path();
  if (!unified.empty()) {
    fd.reset(::open(unified.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw Error(errno, "open cgroup " + unified);
  }
  return fd;
}

}  // namespace skiff
