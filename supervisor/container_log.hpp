// A detached container's output (`skiff run -d`, `skiff logs`): the container's stdout and stderr are
// one pipe; its reader is a small process of its own, the log keeper, which appends what arrives to
// containers/<id>/container.log and rotates it (container.log.1, .2, ...) when it would pass the size
// limit. The keeper holds an flock on log.lock for as long as it runs and exits when the last writer
// closes the pipe (every process of the container has exited), so a reader knows when a log is complete.
#pragma once

#include <cstdint>
#include <string>

#include "unique_fd.hpp"

namespace skiff::cli {

struct LogLimits {
  uint64_t max_size = 10 * 1024 * 1024;  // bytes per file before it is rotated
  unsigned max_files = 2;                // container.log plus this many minus one rotated files
};

// Starts the keeper for the container directory `dir`; returns the pipe's write end (close-on-exec:
// dup it onto the container's stdout/stderr). The keeper is not our child (it is double-forked), so
// nothing has to wait for it.
UniqueFd start_log_keeper(const std::string& dir, const LogLimits& limits);

// Whether `dir` has a kept log at all (the container was started detached).
bool has_log(const std::string& dir);

// Writes the kept log to `out_fd`, oldest rotated file first. With follow, keeps writing what is
// appended (across rotations) until the keeper has exited and everything is written.
void copy_log(const std::string& dir, int out_fd, bool follow);

}  // namespace skiff::cli
