// EventRecorder: Kubernetes Events (core/v1 Event: involvedObject, reason, message, type Normal or
// Warning, count, firstTimestamp/lastTimestamp, source) correlated as client-go's EventCorrelator does
// (tools/record/events_cache.go):
//   - dedup: the same source + involvedObject + type + reason + message bumps `count` and lastTimestamp
//     of the existing event instead of adding one;
//   - aggregation: more than 10 distinct messages for the same source + object + type + reason within
//     600 s are folded into one event, "(combined from similar events): <latest message>";
//   - spam filter: per source + object + type, a token bucket of 25 events refilled at one per 300 s;
//     events beyond it are dropped (recorded nowhere, as client-go drops them before the API).
// Bounded: at most `per_namespace` events per namespace and `total` overall in memory (the least
// recently updated go first), the correlator's caches at 4096 keys each, and on disk a size-capped
// log (events.jsonl, rotated once to events.jsonl.1) appended in batches at most once per
// `flush_interval`: a probe failing every second costs one line per interval, not one per probe.
// Watchers of kind "Event" on the store's hub see every recorded change.
// Not thread-safe: the loop thread records (others post to it).
#pragma once

#include <chrono>
#include <list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/object_store.hpp"

namespace skiff::store {

struct EventOptions {
  size_t per_namespace = 1000;
  size_t total = 4000;
  size_t log_max_bytes = 2 << 20;  // events.jsonl + events.jsonl.1 together stay below this
  std::chrono::milliseconds flush_interval{std::chrono::seconds(5)};
  size_t max_message_bytes = 1024;
  std::string source_host;  // source.host of every event (the node's name)
};

// Which events to list. Empty strings select all.
struct EventQuery {
  std::string ns;
  std::string kind, name, uid;  // of the involved object
};

class EventRecorder {
 public:
  // Loads the event log under <state_dir>/events (damaged lines are counted in load_problems()).
  EventRecorder(ObjectStore& store, EventOptions opts = {});
  ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // `involved` is the object itself (its kind, apiVersion, metadata are used) or an object reference
  // ({kind, namespace, name, uid, apiVersion, fieldPath}). `type` is "Normal" or "Warning".
  // Returns the event as stored, or nullptr when the spam filter dropped it. Never throws for disk
  // trouble (events are reported through StoreOptions::on_background_error).
  ObjectPtr record(const nlohmann::json& involved, const std::string& type, const std::string& reason,
                   const std::string& message, const std::string& component);

  // Oldest first (by lastTimestamp, then by recording order).
  std::vector<ObjectPtr> list(const EventQuery& q) const;
  size_t size() const { return events_.size(); }
  // Writes what is pending to the log now (graceful shutdown). False if it failed.
  bool flush();
  const std::vector<LoadProblem>& load_problems() const { return problems_; }

 private:
  struct Stored {
    ObjectPtr event;
    uint64_t seq;
    std::string dedup_key;
  };
  struct Aggregate {
    std::vector<std::string> messages;  // distinct, at most 10 kept
    std::chrono::steady_clock::time_point last;
  };
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  void load();
  void load_log(const std::string& path);
  void insert(ObjectPtr ev, const std::string& dedup_key);
  void touch(Stored& s, ObjectPtr ev);
  void evict(const std::string& name);
  void enforce_bounds();
  bool allow(const std::string& spam_key);
  void mark_dirty(const std::string& name);
  void arm_flush();

  ObjectStore& store_;
  EventOptions opts_;
  std::string dir_;
  uint64_t next_seq_ = 0;
  std::map<std::string, Stored> events_;                          // by "<ns>/<name>"
  std::map<std::string, std::map<uint64_t, std::string>> by_ns_;  // ns -> seq -> key: least recent first
  std::map<uint64_t, std::string> by_seq_;                        // all, least recent first
  std::map<std::string, std::string> dedup_;                      // dedup key -> events_ key
  std::map<std::string, Aggregate> aggregates_;
  std::map<std::string, Bucket> buckets_;
  std::vector<std::string> dirty_;
  std::optional<uint64_t> flush_timer_;
  std::vector<LoadProblem> problems_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace skiff::store
