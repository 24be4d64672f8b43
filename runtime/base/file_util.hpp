// Small file helpers shared by every component: whole-file reads and crash-safe writes.
#pragma once

#include <string>
#include <string_view>

namespace skiff {

// Reads a whole file. Throws Error naming the path on failure.
std::string read_file(const std::string& path);

// How far a write_file_atomic must survive.
enum class Durability {
  // fsync of the file and its directory: survives power loss (image store, supervisor state).
  kDurable,
  // Rename only: readers never see a half-written file, but nothing is forced to disk. For state that
  // is meaningless after a reboot (runtime state, pid files: the processes they name die with the
  // machine), where an fsync on a disk-backed /run costs more than the rest of `run` together.
  kVolatile,
};

// Writes `data` to `path` atomically: a temp file in the same directory, rename over the target, and
// (kDurable) fsync of the file before and of the directory after the rename. A crash of the writer
// leaves either the old file or the new one, never a half-written one.
void write_file_atomic(const std::string& path, std::string_view data, unsigned mode = 0644,
                       Durability durability = Durability::kDurable);

// Writes all of `n` bytes to `fd`, retrying short writes and EINTR. False (errno set) on failure: for
// best-effort writers (a log keeper) that must not throw.
bool try_write_all(int fd, const void* data, size_t n);
// The same, throwing Error naming `what`.
void write_all(int fd, std::string_view data, const std::string& what);

// mkdir -p; existing directories are fine. Throws on any other failure.
void mkdir_all(const std::string& path, unsigned mode = 0755);

// rm -rf that does not cross mount points or follow symlinks. Missing path is fine.
void remove_all(const std::string& path);

}  // namespace skiff
