// Mounts: the parent turns spec mounts into a MountPlan (option words parsed, errors thrown with the
// mount's index); the child applies the plan inside its new mount namespace without throwing.
// Every destination is resolved inside the rootfs with openat2(RESOLVE_IN_ROOT) and the mount is made
// onto that fd, so a symlink in the rootfs cannot redirect a mount to the host (CVE-2021-30465).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "spec.hpp"
#include "unique_fd.hpp"

namespace skiff {

struct MountPlan {
  std::string destination;        // absolute path inside the container
  std::string source;             // bind: absolute host path; otherwise the fs source string
  std::string type;               // fs type; "bind" for bind mounts
  unsigned long flags = 0;        // MS_* (not MS_BIND/MS_REC/propagation)
  unsigned long clear_flags = 0;  // MS_* explicitly cleared (rw, suid, dev...): matters for binds
  unsigned long propagation = 0;  // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC)
  std::string data;               // fs-specific option words, comma-joined
  bool bind = false;
  bool recursive = false;     // rbind
  uint64_t rec_attr_set = 0;  // MOUNT_ATTR_* applied recursively (rro, rnosuid, ...)
  uint64_t rec_attr_clr = 0;
  bool source_is_dir = true;  // bind of a file: the destination is created as a file
  // tmpfs only: the directory's existing contents are copied into the fresh tmpfs (podman's
  // --read-only asks for it on /run, /tmp, /var/tmp, so those keep what the image put there).
  bool tmpcopyup = false;
  // Idmapped bind (idmap/ridmap, or uidMappings/gidMappings on the mount): 1 = top mount, 2 = every
  // mount below too. The parent prepares the detached tree (idmap_mounts.hpp); the child moves it.
  int idmap = 0;
  std::shared_ptr<UniqueFd> idmapped_tree;
};

// Host facts the cgroup mount needs: the v1 hierarchies (mount point, our cgroup path) and whether
// the host is pure cgroup v2.
struct CgroupMountSource {
  std::string name;       // basename under /sys/fs/cgroup (e.g. "memory", "unified")
  std::string host_path;  // the directory to bind (mount point + own cgroup path)
};
struct CgroupHostView {
  bool pure_v2 = false;
  std::vector<CgroupMountSource> sources;  // hybrid/v1 only
};

// Parses mount option words into flags. Throws Error("mounts[i] (dest): ...") on words that are
// recognised but unsupported. plan_mounts also prepares idmapped trees (it has the container's maps).
MountPlan plan_mount(const spec::Mount& m, size_t index, const std::string& bundle);
std::vector<MountPlan> plan_mounts(const spec::Spec& s, const std::string& bundle);

// Reads /proc/self/cgroup and /proc/self/mountinfo (only called when a cgroup mount is asked for).
CgroupHostView read_cgroup_host_view();

// ---- child side: no exceptions; failures call child_fail ----

// Makes "/" recursively slave (or the rootfsPropagation) and the rootfs's parent mount private, then
// bind-mounts the rootfs onto itself. Returns an O_PATH fd of the rootfs mount.
int child_prepare_rootfs(const char* rootfs, unsigned long root_propagation) noexcept;
// Applies every mount in order.
void child_apply_mounts(int root_fd, const std::vector<MountPlan>& plans, const CgroupHostView& cg) noexcept;
// Creates default devices (when /dev is a fresh mount), spec devices, and /dev links.
void child_create_devices(int root_fd, const spec::Spec& s, bool dev_is_mount, bool in_userns) noexcept;
// pivot_root into rootfs (or MS_MOVE + chroot with no_pivot) and detach the old root.
void child_pivot_root(const char* rootfs, bool no_pivot) noexcept;
// After pivot: masked and read-only paths, then the read-only root.
void child_mask_paths(const std::vector<std::string>& masked) noexcept;
void child_readonly_paths(const std::vector<std::string>& ro) noexcept;
void child_readonly_root() noexcept;
// After pivot, with a terminal: binds the pty slave onto /dev/console, as runc does.
void child_bind_console(int slave_fd) noexcept;
// rootfsPropagation applied to "/" after pivot (the spec asks the root mount to have it).
void child_root_propagation(unsigned long propagation) noexcept;

// Maps "rslave" etc. to MS_* flags; 0 for "". Throws on unknown words.
unsigned long propagation_from_name(const std::string& name);

}  // namespace skiff
