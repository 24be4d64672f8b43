// Small file helpers shared by every component: whole-file reads and crash-safe writes.
#pragma once

#include <string>
#include <string_view>

namespace skiff {

// Reads a whole file. Throws Error naming the path on failure.
std::string read_file(const std::string& path);

// Writes `data` to `path` atomically: a temp file in the same directory, fsync, rename, fsync of the
// directory. A crash leaves either the old file or the new one, never a half-written one.
void write_file_atomic(const std::string& path, std::string_view data, unsigned mode = 0644);

// mkdir -p; existing directories are fine. Throws on any other failure.
void mkdir_all(const std::string& path, unsigned mode = 0755);

// rm -rf that does not cross mount points or follow symlinks. Missing path is fine.
void remove_all(const std::string& path);

}  // namespace skiff
