// The last few runs of one probe, for `describe`: bounded in entries and in message size.
#pragma once

#include <chrono>
#include <deque>
#include <string>
#include <vector>

#include "probe_result.hpp"
#include "text_util.hpp"

namespace skiff::probes {

struct ProbeRecord {
  std::chrono::system_clock::time_point time;  // when the run finished
  Result result = Result::unknown;
  bool is_error = false;  // discarded by the worker (an internal error)
  std::chrono::nanoseconds duration{0};
  std::string message;  // at most ProbeHistory::kMaxMessage bytes
};

class ProbeHistory {
 public:
  static constexpr size_t kMaxMessage = 1024;
  explicit ProbeHistory(size_t capacity) : capacity_(capacity) {}

  void add(ProbeRecord r) {
    if (capacity_ == 0) return;
    if (r.message.size() > kMaxMessage) r.message = truncate_utf8(r.message, kMaxMessage);
    if (records_.size() == capacity_) records_.pop_front();
    records_.push_back(std::move(r));
  }
  // Oldest first.
  std::vector<ProbeRecord> records() const { return {records_.begin(), records_.end()}; }
  size_t size() const { return records_.size(); }

 private:
  size_t capacity_;
  std::deque<ProbeRecord> records_;
};

}  // namespace skiff::probes
