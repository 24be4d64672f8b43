// Namespaces of a container: which to create (clone3 flags), which to join (fds opened by the parent
// before clone, so a bad path fails before anything exists), and the two that apply only to children
// (pid, time) handled in the parent before clone.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "spec.hpp"
#include "unique_fd.hpp"

namespace skiff {

struct NamespaceJoin {
  int flag;     // CLONE_NEW*
  UniqueFd fd;  // the namespace to setns into
  std::string path;
};

struct NamespacePlan {
  unsigned long clone_flags = 0;     // namespaces created by clone3 (not time: see below)
  std::vector<NamespaceJoin> joins;  // joined by the child (user first), except pid and time
  bool new_time = false;             // unshared by the parent so the child is born in it
  bool new_user = false;
  bool joins_mount = false;  // joining an existing mount ns: no rootfs set-up
  bool has_mount = false;    // a mount namespace, new or joined
};

// Opens every `path`, checks each is the namespace type it claims (NS_GET_NSTYPE), and builds the plan.
NamespacePlan plan_namespaces(const spec::Spec& s);

// Parent, before clone: setns into a joined pid/time namespace; unshare a new time namespace and write
// its offsets. Both only affect children, which is why the parent does them.
void parent_enter_child_namespaces(NamespacePlan& plan, const spec::Spec& s);

// Parent, after clone with CLONE_NEWUSER: writes /proc/<pid>/{setgroups,uid_map,gid_map}.
void write_id_maps(pid_t pid, const spec::Spec& s);

// Child: setns into every joined namespace (user first). Fails through child_fail.
void child_join_namespaces(const NamespacePlan& plan) noexcept;

// True if /proc/<pid>/ns/<name> differs from ours (setns into our own user ns fails with EINVAL).
bool namespace_differs(pid_t pid, const char* name);

}  // namespace skiff
