// A container's output (`skiff run` without --rm, `skiff logs`): the container's stdout and stderr are
// one pipe (two in the foreground, see LogEcho); its reader is a small process of its own, the log keeper,
// which appends what arrives to containers/<id>/container.log and rotates it (container.log.1, .2, ...) when
// it would pass the size limit. The keeper holds an flock on log.lock for as long as it runs and exits when
// the last writer closes the pipe (every process of the container has exited), so a reader knows when a log
// is complete.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "unique_fd.hpp"

namespace skiff::cli {

struct LogLimits {
  uint64_t max_size = 10 * 1024 * 1024;  // bytes per file before it is rotated
  unsigned max_files = 2;                // container.log plus this many minus one rotated files
};

struct LogKeeper {
  UniqueFd output;        // the pipe's write end (close-on-exec: dup it onto the container's stdout/stderr)
  UniqueFd error_output;  // with an echo: the stderr pipe's write end (output is then stdout's only)
  UniqueFd confirm;       // write the container's pid start time here once it runs (see after_exit)
};

// A foreground container's output is kept too, and also copied to the terminal: stdout to out_fd,
// stderr to err_fd (two pipes then, so that the two streams stay apart on the terminal; the log
// interleaves them as they arrive).
struct LogEcho {
  int out_fd = 1;
  int err_fd = 2;
};

// Starts the keeper for the container directory `dir`. The keeper is not our child (it is
// double-forked), so nothing has to wait for it. If `after_exit` is set, the keeper calls it when the
// output has ended, with the start time written to `confirm` (8 bytes) — not at all if nothing was
// written (the container never ran): `skiff run -d --rm` removes the container this way.
LogKeeper start_log_keeper(const std::string& dir, const LogLimits& limits,
                           std::function<void(unsigned long long)> after_exit = nullptr,
                           const LogEcho* echo = nullptr);

// Blocks until the keeper of `dir` has exited (everything it read is written), e.g. before a
// foreground `skiff run` returns to the shell.
void wait_log_keeper(const std::string& dir);

// Whether `dir` has a kept log at all (the container was not run with --rm).
bool has_log(const std::string& dir);

// Writes the kept log to `out_fd`, oldest rotated file first. With follow, keeps writing what is
// appended (across rotations) until the keeper has exited and everything is written.
void copy_log(const std::string& dir, int out_fd, bool follow);

}  // namespace skiff::cli
