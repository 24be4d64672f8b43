// Idmapped bind mounts (mount_setattr MOUNT_ATTR_IDMAP). The parent builds each one before clone: a
// throwaway user namespace carrying the mount's mappings, a detached clone of the source tree with the
// idmapping and the mount's attributes set on it. The child only moves that tree into place, which
// works even from inside the container's own user namespace (where setting an idmapping would not).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spec.hpp"
#include "unique_fd.hpp"

namespace skiff {

// A user namespace holding `uids`/`gids` (lines "containerID hostID size"), as an fd. Needs root.
UniqueFd make_mapping_userns(const std::vector<spec::IdMapping>& uids,
                             const std::vector<spec::IdMapping>& gids);

// A detached, idmapped clone of `source` (recursive: the idmapping and the attributes apply to every
// mount below it too). `attr_set`/`attr_clr` are MOUNT_ATTR_* for the top mount, `rec_*` for all.
UniqueFd make_idmapped_tree(const std::string& source, bool recursive,
                            const std::vector<spec::IdMapping>& uids,
                            const std::vector<spec::IdMapping>& gids, uint64_t attr_set, uint64_t attr_clr,
                            uint64_t rec_set, uint64_t rec_clr);

}  // namespace skiff
