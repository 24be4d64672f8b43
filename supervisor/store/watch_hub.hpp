// WatchHub: in-process watchers of the store (controllers, the node agent, API watch streams). A
// change is queued for every matching subscriber and delivered later on the executor (never inside the
// create/update that caused it, so a subscriber may write to the store from its callback). Each
// subscriber's backlog is bounded: one that falls behind by more than `backlog_limit` events gets a
// single ERROR event (410 Expired, as an API server ends a watch that is too far behind) and is ended;
// it must list again. A short history of recent changes lets a watch start from a resourceVersion a
// list returned a moment before. Not thread-safe: one thread (the loop's) uses it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/executor.hpp"
#include "manifest/label_selector.hpp"

namespace skiff::store {

using ObjectPtr = std::shared_ptr<const nlohmann::json>;

enum class EventType { kAdded, kModified, kDeleted, kError };
const char* event_type_name(EventType t);  // "ADDED", "MODIFIED", "DELETED", "ERROR"

struct WatchEvent {
  EventType type;
  ObjectPtr object;  // for kError a Kubernetes Status object
  uint64_t resource_version;
};

// What a list or watch selects. Empty strings select all.
struct Filter {
  std::string kind;
  std::string ns;
  std::string name;  // fieldSelector metadata.name
  manifest::Selector labels;
  bool matches(const nlohmann::json& obj) const;
};

class WatchHub {
 public:
  struct Sub;
  // Ends the subscription when destroyed or reset; harmless after the hub is gone.
  class Subscription {
   public:
    Subscription() = default;
    explicit Subscription(std::weak_ptr<Sub> s) : sub_(std::move(s)) {}
    Subscription(Subscription&&) noexcept = default;
    Subscription& operator=(Subscription&& o) noexcept {
      if (this != &o) {
        reset();
        sub_ = std::move(o.sub_);
      }
      return *this;
    }
    ~Subscription() { reset(); }
    void reset();
    // False once ended (by reset, or by the hub after an ERROR event).
    bool active() const;

   private:
    std::weak_ptr<Sub> sub_;
  };

  WatchHub(Executor& executor, size_t backlog_limit, size_t history_limit, uint64_t floor_rv);

  // Starts delivering changes after `since` (nullopt: from now on). Throws StoreError(kGone) when
  // `since` is older than the history kept.
  Subscription subscribe(Filter filter, std::optional<uint64_t> since,
                         std::function<void(const WatchEvent&)> cb);
  // A change: old_obj null for a creation, new_obj null for a deletion. Each subscriber sees it through
  // its filter: an object that stops matching a selector is DELETED for it, one that starts is ADDED.
  void publish(ObjectPtr old_obj, ObjectPtr new_obj, uint64_t rv);
  size_t subscriber_count() const;
  size_t backlog_limit() const { return backlog_limit_; }

  struct Sub {
    Filter filter;
    std::function<void(const WatchEvent&)> cb;
    std::deque<WatchEvent> backlog;
    bool cancelled = false;
    bool overflowed = false;
  };

 private:
  struct Change {
    ObjectPtr old_obj, new_obj;
    uint64_t rv;
  };
  void enqueue(Sub& s, const Change& c);
  void schedule();
  void drain();

  Executor& executor_;
  size_t backlog_limit_;
  size_t history_limit_;
  uint64_t floor_rv_;  // history is complete for changes after this revision
  std::deque<Change> history_;
  std::vector<std::shared_ptr<Sub>> subs_;
  bool scheduled_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // a posted drain outliving the hub does nothing
};

// A Kubernetes Status object (kind Status, status Failure) for errors in watch streams and the API.
nlohmann::json status_object(int code, const std::string& reason, const std::string& message);

}  // namespace skiff::store
