// Pull progress: per-layer bytes and the total, redrawn in place on a terminal (at most ten times a
// second), silent when stderr is not a TTY (scripts, logs). Thread-safe: layer downloads report at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace skiff::image {

class PullProgress {
 public:
  // `enabled` false: every call is a no-op. Default: on when stderr is a TTY.
  explicit PullProgress(bool enabled);
  static bool stderr_is_tty();

  void set_layers(const std::vector<int64_t>& sizes, const std::vector<std::string>& names);
  void bytes(size_t layer, int64_t done);
  void state(size_t layer, const std::string& what);  // "exists", "extracting", "done"
  // Clears the display and prints one summary line.
  void finish(const std::string& summary);

 private:
  void draw(bool force);
  bool enabled_;
  std::mutex mu_;
  std::vector<int64_t> size_, done_;
  std::vector<std::string> name_, state_;
  size_t drawn_lines_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace skiff::image
