// Reading CRI container logs back, for `skiff logs`: the kubelet's ReadLogs semantics (pkg/kubelet/
// kuberuntime/logs): each CRI line is parsed back into a message; a full line is printed with its newline,
// a partial one without (so a split line comes out whole); --timestamps puts the line's time in front
// (RFC3339 with nine fraction digits, the kubelet's output format); --since drops what is older; --tail N
// starts N lines before the end (lines of the file, partial ones counted as the kubelet counts them).
// Unlike the kubelet, which reads only the current file, the rotated files the writer keeps are read
// too, oldest first: they are plain files here, and a user asking for a container's log gets all of it.
// --previous is just another path (the previous attempt's file).
//
// Following: read_available() returns what is there now and remembers where it stopped; a reader that
// follows calls it again when notify_fd() is readable (inotify on the log's directory), across
// rotations (the file it reads is read to its end before the new one is opened).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "keeper/cri_log.hpp"
#include "unique_fd.hpp"

namespace skiff::keeper {

struct CriMessage {
  int64_t unix_ns = 0;
  Stream stream = Stream::kStdout;
  bool partial = false;
  std::string_view text;  // without the line's newline
};

// Parses one CRI line (without its '\n'). False, with `why` set, for a malformed line.
bool parse_cri_line(std::string_view line, CriMessage* out, std::string* why = nullptr);
// RFC3339 (any fraction, 'Z' or a numeric offset) -> ns since the epoch; nullopt if malformed.
std::optional<int64_t> parse_rfc3339(std::string_view s);

struct CriReadOptions {
  std::optional<uint64_t> tail;  // the last N lines only
  bool timestamps = false;       // each message prefixed with its time and a space
  int64_t since_ns = 0;          // messages older than this are skipped (0: all)
  bool stdout_lines = true;      // which streams to print
  bool stderr_lines = true;
  bool include_rotated = true;  // start with the rotated files (oldest first)
  unsigned max_files = 5;       // how many rotated files to look for (the writer's max_files)
};

class CriLogReader {
 public:
  using Sink = std::function<void(std::string_view)>;
  // Opens the log set of `path`. Throws Error if `path` does not exist (nor any rotated file).
  CriLogReader(std::string path, CriReadOptions opts);

  // Writes everything readable now to `sink` (formatted as `skiff logs` prints it). Malformed lines
  // are skipped (counted). Returns the number of messages written.
  size_t read_available(const Sink& sink);
  // Readable when the log's directory changed (a write, a rotation): call read_available() then
  // drain_notify(). Opened on first use.
  int notify_fd();
  void drain_notify();
  uint64_t malformed_lines() const { return malformed_; }

 private:
  bool open_next();
  void emit_line(std::string_view line, const Sink& sink, size_t* count);
  std::string path_;
  CriReadOptions opts_;
  int file_index_ = 0;  // the rotated file being read (0 = path itself)
  UniqueFd fd_;
  ino_t ino_ = 0;
  std::string buf_;  // bytes of an unfinished line
  uint64_t malformed_ = 0;
  UniqueFd inotify_;
};

// Formats one message as the kubelet writes it to `kubectl logs`.
void format_cri_message(const CriMessage& m, bool timestamps, std::string* out);

// For a foreground reader: copies the log to `out_fd`, and with `follow` keeps copying what is
// written (across rotations) until `keep_following()` returns false; then copies what is left and
// returns. Throws Error if the log cannot be opened or out_fd fails.
void copy_cri_log(const std::string& path, const CriReadOptions& opts, int out_fd, bool follow,
                  const std::function<bool()>& keep_following);

}  // namespace skiff::keeper
