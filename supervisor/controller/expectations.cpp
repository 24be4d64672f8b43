#include "controller/expectations.hpp"

namespace skiff::controller {

bool Expectations::satisfied(const std::string& key, Clock::time_point now) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return true;
  const Entry& e = it->second;
  if (e.add <= 0 && e.del <= 0) return true;
  return now - e.timestamp > kTimeout;
}

void Expectations::expect_creations(const std::string& key, int count, Clock::time_point now) {
  Entry& e = entries_[key];
  e.add = count;
  e.del = 0;
  e.timestamp = now;
}

void Expectations::expect_deletions(const std::string& key, const std::vector<std::string>& pod_keys,
                                    Clock::time_point now) {
  Entry& e = entries_[key];
  e.deleting.insert(pod_keys.begin(), pod_keys.end());
  e.add = 0;
  e.del = static_cast<int>(pod_keys.size());
  e.timestamp = now;
}

void Expectations::creation_observed(const std::string& key) {
  auto it = entries_.find(key);
  if (it != entries_.end()) --it->second.add;
}

void Expectations::lower_creations(const std::string& key, int count) {
  auto it = entries_.find(key);
  if (it != entries_.end()) it->second.add -= count;
}

void Expectations::deletion_observed(const std::string& key, const std::string& pod_key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  if (it->second.deleting.erase(pod_key) > 0) --it->second.del;
}

void Expectations::forget(const std::string& key) {
  entries_.erase(key);
}

int Expectations::pending_creations(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? 0 : it->second.add;
}

int Expectations::pending_deletions(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? 0 : it->second.del;
}

}  // namespace skiff::controller
