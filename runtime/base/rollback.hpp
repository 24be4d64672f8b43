// Undo steps of a multi-step operation, run in reverse order unless the operation commits. This is how
// a failed attach or create leaves nothing half-made behind.
#pragma once

#include <functional>
#include <vector>

namespace skiff {

class Rollback {
 public:
  Rollback() = default;
  Rollback(const Rollback&) = delete;
  Rollback& operator=(const Rollback&) = delete;
  ~Rollback() {
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
      try {
        (*it)();
      } catch (...) {
        // Best effort: the original error is the one to report; IPAM still records what is left
        // (as pending), and the next operation reclaims it.
      }
    }
  }
  void add(std::function<void()> f) { steps_.push_back(std::move(f)); }
  void commit() { steps_.clear(); }

 private:
  std::vector<std::function<void()>> steps_;
};

}  // namespace skiff
