// User namespace id maps: validated by the parent before anything exists (a malformed or overlapping
// mapping, or one the caller may not use, is a one-line error), then written after clone: directly
// when the kernel lets us (as root, or an unprivileged caller mapping only its own id, with setgroups
// denied), else through the setuid helpers newuidmap/newgidmap (Debian `uidmap`), which grant the
// ranges /etc/subuid and /etc/subgid give the caller.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "spec.hpp"

namespace skiff {

struct SubIdRange {
  uint64_t start = 0;
  uint64_t count = 0;
};

// The ranges /etc/subuid-style `text` grants to `user` (by name or numeric id).
std::vector<SubIdRange> parse_subid_ranges(const std::string& text, const std::string& user, uid_t id);

// Throws Error naming the field ("uidMappings") when a mapping is empty, has size 0, wraps past
// 2^32, or overlaps another in container or host ids.
void validate_id_mappings(const std::vector<spec::IdMapping>& maps, const char* field);

// For a caller that is not root: throws unless every host range is the caller's own id or lies in
// one of `allowed`. `field` names the spec field, `file` the subid file for the message.
void check_mappings_allowed(const std::vector<spec::IdMapping>& maps, uint32_t own_id,
                            const std::vector<SubIdRange>& allowed, const char* field, const char* file);

// Parent, before clone: validates both maps and, when not root, that the caller may use them.
void check_user_namespace_maps(const spec::Spec& s);

// Parent, after clone with CLONE_NEWUSER: writes /proc/<pid>/{setgroups,uid_map,gid_map} directly or
// through newuidmap/newgidmap.
void write_user_namespace_maps(pid_t pid, const spec::Spec& s);

// The text of a uid_map/gid_map file: "container host size" lines.
std::string id_map_text(const std::vector<spec::IdMapping>& maps);
// Writes `data` to /proc/<pid>/<file> in one write(2), as the kernel wants for id maps.
void write_proc_file(pid_t pid, const char* file, const std::string& data);

}  // namespace skiff
