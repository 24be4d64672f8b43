// The CRI container log format, as containerd's CRI plugin writes it and the kubelet reads it: one line
// per chunk of output, `<RFC3339Nano> <stdout|stderr> <F|P> <text>\n`. A line of the container's output
// ends in an `F` (full) line; a line longer than 16 KiB is cut into `P` (partial) lines of 16 KiB with the
// rest in the last one; output that ends without a newline (the stream closed) is written as a `P` line;
// "\r\n" ends a line as "\n" does. Timestamps are Go's RFC3339Nano in UTC (trailing zeros of the fraction
// dropped, as Go formats them).
//
// Rotation: the writer rotates itself when the next line would take the file past its size limit,
// numbering the kept files as `skiff run`'s log does (log_path.1 the newest, up to log_path.<max_files-1>).
// The kubelet names rotated files `<file>.<timestamp>` and gzips all but the newest because a different
// process (the kubelet) rotates what the runtime writes and has to ask it to reopen; here the writer
// rotates between two of its own writes, so a plain rename shift is enough and no reader ever sees a
// half-rotated set, and no compression runs on the keeper's loop (a 10 MiB gzip would stall every other
// container's output for a tenth of a second, and rewrite flash for little gain on small logs).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "unique_fd.hpp"

namespace skiff::keeper {

enum class Stream { kStdout, kStderr };
const char* stream_name(Stream s);

// The kubelet's max_container_log_line_size default: longer lines are split into partial lines.
inline constexpr size_t kMaxCriLineSize = 16 * 1024;

// A CRI timestamp: RFC3339Nano in UTC with Go's trimming ("2026-12-02T10:00:00.1234Z", "...:00Z").
std::string cri_timestamp(int64_t unix_ns);
// Nanoseconds since the epoch of the real-time clock.
int64_t realtime_ns();

// Cuts one stream's bytes into CRI lines (text without the newline, tag F or P), as containerd's
// redirectLogs does. Holds at most one unfinished line of kMaxCriLineSize (+1 for a pending '\r').
class CriLineSplitter {
 public:
  using Emit = std::function<void(bool partial, std::string_view text)>;
  explicit CriLineSplitter(size_t max_line = kMaxCriLineSize) : max_line_(max_line) {}
  void feed(std::string_view data, const Emit& emit);
  // The stream closed: what is left (a line without its newline) goes out as a partial line.
  void finish(const Emit& emit);
  size_t pending() const { return pending_.size(); }

 private:
  size_t max_line_;
  std::string pending_;
};

struct CriLogLimits {
  uint64_t max_size = 10 * 1024 * 1024;  // a file is rotated before a line would take it past this
  unsigned max_files = 5;                // log_path plus max_files - 1 rotated files
};

// Appends CRI lines to one log file, rotating it. Best effort once open: a failed write (disk full) drops
// the line and counts it, and the next line tries again, so a container's pipes are always drained.
class CriLogWriter {
 public:
  // Opens (creating 0640, parents 0755) `path` for appending. Throws Error naming the path.
  CriLogWriter(std::string path, CriLogLimits limits);
  CriLogWriter(CriLogWriter&&) = default;
  const std::string& path() const { return path_; }

  // Writes one CRI line (one write(2), so a reader never sees a line torn by another writer).
  void write_line(int64_t unix_ns, Stream stream, bool partial, std::string_view text);
  uint64_t size() const { return size_; }
  uint64_t dropped_lines() const { return dropped_; }

 private:
  void rotate();
  std::string path_;
  CriLogLimits limits_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  uint64_t dropped_ = 0;
  std::string line_;  // reused buffer
};

// The n-th rotated file of `path` (`path.1` is the newest); n = 0 is `path` itself.
std::string rotated_path(const std::string& path, unsigned n);

}  // namespace skiff::keeper
