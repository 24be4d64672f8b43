#include "store/watch_hub.hpp"

#include <algorithm>

#include "store/store_error.hpp"

namespace skiff::store {

const char* event_type_name(EventType t) {
  switch (t) {
    case EventType::kAdded:
      return "ADDED";
    case EventType::kModified:
      return "MODIFIED";
    case EventType::kDeleted:
      return "DELETED";
    case EventType::kError:
      return "ERROR";
  }
  return "ERROR";
}

nlohmann::json status_object(int code, const std::string& reason, const std::string& message) {
  return {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
          {"status", "Failure"}, {"message", message}, {"reason", reason},
          {"code", code}};
}

bool Filter::matches(const nlohmann::json& obj) const {
  if (!kind.empty() && obj.value("kind", "") != kind) return false;
  const auto& md = obj["metadata"];
  if (!ns.empty() && md.value("namespace", "") != ns) return false;
  if (!name.empty() && md.value("name", "") != name) return false;
  if (labels.empty()) return true;
  auto it = md.find("labels");
  return labels.matches(it == md.end() ? nlohmann::json() : *it);
}

void WatchHub::Subscription::reset() {
  if (auto s = sub_.lock()) {
    s->cancelled = true;
    s->backlog.clear();
    s->cb = nullptr;  // drops what the callback captured now, not at the next sweep
  }
  sub_.reset();
}

bool WatchHub::Subscription::active() const {
  auto s = sub_.lock();
  return s && !s->cancelled;
}

WatchHub::WatchHub(Executor& executor, size_t backlog_limit, size_t history_limit, uint64_t floor_rv)
    : executor_(executor),
      backlog_limit_(backlog_limit),
      history_limit_(history_limit),
      floor_rv_(floor_rv) {}

WatchHub::Subscription WatchHub::subscribe(Filter filter, std::optional<uint64_t> since,
                                           std::function<void(const WatchEvent&)> cb) {
  if (since && *since < floor_rv_)
    throw StoreError(Reason::kGone, "too old resource version: " + std::to_string(*since) + " (" +
                                        std::to_string(floor_rv_) + ")");
  auto s = std::make_shared<Sub>();
  s->filter = std::move(filter);
  s->cb = std::move(cb);
  if (since) {
    for (const auto& c : history_)
      if (c.rv > *since) enqueue(*s, c);
    if (!s->backlog.empty()) schedule();
  }
  subs_.push_back(s);
  return Subscription(s);
}

void WatchHub::enqueue(Sub& s, const Change& c) {
  if (s.cancelled || s.overflowed) return;
  bool was = c.old_obj && s.filter.matches(*c.old_obj);
  bool is = c.new_obj && s.filter.matches(*c.new_obj);
  EventType t;
  if (was && is)
    t = EventType::kModified;
  else if (is)
    t = EventType::kAdded;
  else if (was)
    t = EventType::kDeleted;
  else
    return;
  if (s.backlog.size() >= backlog_limit_) {
    // Too far behind: keep nothing but the reason, so a stuck subscriber costs one event, not a queue.
    s.backlog.clear();
    s.overflowed = true;
    auto st = std::make_shared<const nlohmann::json>(status_object(
        410, "Expired",
        "watch ended: more than " + std::to_string(backlog_limit_) + " events not yet consumed"));
    s.backlog.push_back({EventType::kError, st, c.rv});
    return;
  }
  s.backlog.push_back({t, t == EventType::kDeleted ? c.old_obj : c.new_obj, c.rv});
}

void WatchHub::publish(ObjectPtr old_obj, ObjectPtr new_obj, uint64_t rv) {
  Change c{std::move(old_obj), std::move(new_obj), rv};
  bool any = false;
  for (auto& s : subs_) {
    size_t before = s->backlog.size();
    enqueue(*s, c);
    any = any || s->backlog.size() != before || s->overflowed;
  }
  if (history_limit_ > 0) {
    history_.push_back(std::move(c));
    while (history_.size() > history_limit_) {
      floor_rv_ = history_.front().rv;
      history_.pop_front();
    }
  } else {
    floor_rv_ = rv;
  }
  if (any) schedule();
}

void WatchHub::schedule() {
  if (scheduled_) return;
  scheduled_ = true;
  executor_.post([this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.lock()) drain();
  });
}

void WatchHub::drain() {
  scheduled_ = false;
  subs_.erase(std::remove_if(subs_.begin(), subs_.end(), [](const auto& s) { return s->cancelled; }),
              subs_.end());
  // A callback may subscribe or publish: iterate over a snapshot and re-check each subscriber.
  auto snapshot = subs_;
  for (auto& s : snapshot) {
    while (!s->cancelled && !s->backlog.empty()) {
      WatchEvent ev = std::move(s->backlog.front());
      s->backlog.pop_front();
      auto cb = s->cb;  // the callback may end its own subscription
      if (cb) cb(ev);
      if (ev.type == EventType::kError) {
        s->cancelled = true;
        s->cb = nullptr;
      }
    }
  }
}

size_t WatchHub::subscriber_count() const {
  return static_cast<size_t>(
      std::count_if(subs_.begin(), subs_.end(), [](const auto& s) { return !s->cancelled; }));
}

}  // namespace skiff::store
