// The compiled-filter cache: compiling a large profile with libseccomp costs milliseconds on every
// container, so the BPF program is kept under the runtime's root (<root>/.seccomp-cache/<key>), keyed
// by a SHA-256 of the profile, the native architecture and the libseccomp version and API level.
//
// Safety: entries are written atomically (temp file + fsync + rename), so concurrent runtimes see a
// whole entry or none; an entry is used only if the directory and the file belong to us and are
// writable by nobody else, the header names the expected key, and the body matches its SHA-256.
// Anything else is ignored (and replaced): the cache can make a run faster, never different.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "seccomp.hpp"

namespace skiff::seccomp {

// The cache directory for a runtime state root.
std::string cache_dir_for_root(const std::string& state_root);

// The key of a profile on this machine (hex SHA-256).
std::string cache_key(const nlohmann::json& section);

// The program for `p` (whose JSON is `section`): from the cache when a verified entry exists, else
// compiled and stored. A cache that cannot be used (read-only, foreign owner) only costs the compile.
Program compile_cached(const Profile& p, const nlohmann::json& section, const std::string& dir);

}  // namespace skiff::seccomp
