// Whether this runtime acts without the host's root: as a user other than 0, or as uid 0 of a user
// namespace (podman runs its runtime inside the rootless user's namespace, where it is "root" but
// owns nothing on the host: not /run, not the cgroup trees). Decides the default state root and
// whether cgroups are only used when delegated, as runc does.
#pragma once

#include <string>

namespace skiff {

// /proc/self/uid_map is not the identity map of the initial namespace.
bool running_in_user_namespace();

// `--rootless true|false|auto` (auto: not uid 0, or in a user namespace). Throws on another value.
void set_rootless_mode(const std::string& mode);
bool is_rootless();

}  // namespace skiff
