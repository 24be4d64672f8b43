// The container's init between clone and exec (child side) and what the parent prepares for it.
#pragma once

#include <string>
#include <vector>

#include "caps.hpp"
#include "container.hpp"
#include "mounts.hpp"
#include "namespaces.hpp"
#include "process_setup.hpp"
#include "seccomp.hpp"
#include "spec.hpp"

namespace skiff {

// Everything the child needs, computed by the parent before clone (the child reads its copy).
struct PreparedContainer {
  spec::Spec spec;
  std::string config_text;
  std::string bundle;  // absolute
  std::string rootfs;  // absolute
  std::vector<MountPlan> mounts;
  CgroupHostView cgroups;
  NamespacePlan ns;
  ProcessPlan proc;
  CapsPlan caps;
  seccomp::Plan seccomp;
  bool dev_is_mount = false;
  // mknod is refused in any user namespace but the initial one: device nodes are bound from the host.
  bool devices_by_bind = false;
  bool any_child_hooks = false;  // a hook round trip is needed (the hooks need the pid)
  // cgroups: the init waits until the parent has put it in its cgroups, then creates its cgroup
  // namespace (rooted at the container's cgroup, which clone3 alone cannot do for v1 hierarchies).
  bool cgroup_sync = false;
  bool unshare_cgroupns = false;
  unsigned long root_propagation = 0;
};

// Loads and validates everything a create needs; throws on bad input before anything exists.
// `foreground`: a run that stays attached may have a terminal without a console socket.
// `state_root`: the runtime's root, where compiled seccomp filters are cached ("" = no cache).
PreparedContainer prepare_container(const CreateOptions& o, bool foreground,
                                    const std::string& state_root = "");

struct InitArgs {
  const PreparedContainer* c;
  const CreateOptions* opts;
  int sync_fd;                 // our end of the sync socketpair
  int state_dir_fd;            // O_PATH of <root>/<id>: exec.fifo is opened through it (create only)
  bool wait_on_fifo;           // create: block on exec.fifo; run: wait for a start message
  std::vector<int> close_fds;  // the parent's fds the child must drop at once (the state lock)
};

// Runs in the child; never returns.
[[noreturn]] void container_init(const InitArgs& a) noexcept;

}  // namespace skiff
