// Child-side set-up of the process that will exec the user program, shared by the container's init
// and `exec`. Everything here runs after clone and before exec: no exceptions, failures through
// child_fail. Anything that can be computed before clone is computed by the parent (ProcessPlan).
#pragma once

#include <string>
#include <vector>

#include "spec.hpp"

namespace skiff {

struct ProcessPlan {
  std::vector<std::string> argv_storage, env_storage;
  std::vector<char*> argv, envp;  // null-terminated views of the storage
  std::string path_env;           // PATH used to find args[0] (from process.env, else the default)
};

// Builds argv/envp arrays from a spec process (parent side; may throw).
ProcessPlan plan_process(const spec::Process& p);

// Child: rlimits, with a clear message when a hard limit is above what the host allows.
void child_set_rlimits(const spec::Process& p) noexcept;
// Child: setgroups, setresgid, setresuid, umask. `allow_setgroups` is false in a user namespace whose
// setgroups is denied.
void child_switch_user(const spec::Process& p) noexcept;
// Child: chdir to process.cwd (inside the container's root: this runs after pivot_root/setns).
void child_chdir(const spec::Process& p) noexcept;
// Child: resolves args[0] against PATH inside the container, as execvp would, so that a missing
// executable is reported at create time. Writes the resolved path into `out`.
void child_find_executable(const ProcessPlan& plan, char* out, size_t out_len) noexcept;
// Child: marks every fd >= 3 + preserve_fds close-on-exec.
void child_close_fds(int preserve_fds) noexcept;
// Child: writes /proc/self/oom_score_adj.
void child_set_oom_score_adj(int adj) noexcept;
// Child: personality(2) from linux.personality.
void child_set_personality(const spec::Spec& s) noexcept;
// Child: writes linux.sysctl under /proc/sys, checking /proc really is procfs first.
void child_write_sysctls(const spec::Spec& s) noexcept;

}  // namespace skiff
