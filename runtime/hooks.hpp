// OCI hooks: run one hook with the container state on stdin, honouring its timeout.
#pragma once

#include <string>
#include <vector>

#include "spec.hpp"

namespace skiff {

// Runs `hook` (path, args, env) with `state_json` on its stdin. Throws Error naming the hook path if it
// cannot start, exits non-zero ("exit status N"), is killed by a signal, or outlives hook.timeout
// (then it is killed with SIGKILL first). Never leaves a child behind.
void run_hook(const spec::Hook& hook, const std::string& state_json);

// Runs every hook of a phase in order; the first failure throws with "<phase> hook <path>: ..."
void run_hooks(const std::vector<spec::Hook>& hooks, const char* phase, const std::string& state_json);

}  // namespace skiff
