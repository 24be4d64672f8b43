// Expectations: what a controller has asked for and not yet seen in its cache, as pkg/controller's
// UIDTrackingControllerExpectations keeps it. The cache lags the store by the watch events still in
// flight; a ReplicaSet that created 3 pods and syncs again before seeing them would create 3 more.
// So a sync that creates or deletes pods records how many it expects to observe, the watch handlers
// count them down, and manage-replicas waits until they are all seen (or 5 minutes have passed, in
// case an event was lost). Deletions are tracked by pod key, so a pod seen first with a
// deletionTimestamp and later gone counts once. Time is a parameter (steady clock), for fake clocks.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace skiff::controller {

class Expectations {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::minutes kTimeout{5};  // controller.ExpectationsTimeout

  // True when `key` has no expectations, they are fulfilled, or they expired.
  bool satisfied(const std::string& key, Clock::time_point now) const;
  void expect_creations(const std::string& key, int count, Clock::time_point now);
  // The keys ("namespace/name") of the pods about to be deleted.
  void expect_deletions(const std::string& key, const std::vector<std::string>& pod_keys,
                        Clock::time_point now);
  void creation_observed(const std::string& key);
  // Counts only a pod whose deletion was expected, once.
  void deletion_observed(const std::string& key, const std::string& pod_key);
  // A create that failed (or was skipped) will never be observed.
  void lower_creations(const std::string& key, int count);
  void forget(const std::string& key);  // the controller object is gone

  int pending_creations(const std::string& key) const;
  int pending_deletions(const std::string& key) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    int add = 0, del = 0;
    Clock::time_point timestamp;
    std::set<std::string> deleting;
  };
  std::map<std::string, Entry> entries_;
};

}  // namespace skiff::controller
