// What a controller's sync tells the work queue that runs it.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace skiff::controller {

struct SyncResult {
  // Sync this key again after this long even if nothing changes (minReadySeconds, progress deadlines).
  std::optional<std::chrono::milliseconds> requeue_after;
  // Empty on success; otherwise what failed, and the key is retried with backoff.
  std::string error;
  bool ok() const { return error.empty(); }
};

// Where event handlers put the keys ("namespace/name") to sync: now, or after a delay.
using Enqueue = std::function<void(const std::string& key, std::chrono::milliseconds delay)>;

}  // namespace skiff::controller
