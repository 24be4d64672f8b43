#include "store/events.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "error.hpp"
#include "file_util.hpp"
#include "unique_fd.hpp"

namespace skiff::store {
namespace {

using nlohmann::json;
using std::chrono::steady_clock;

constexpr size_t kCacheKeys = 4096;  // client-go's maxLruCacheEntries
constexpr size_t kAggregateMaxEvents = 10;
constexpr auto kAggregateInterval = std::chrono::seconds(600);
constexpr double kSpamBurst = 25;
constexpr double kSpamQps = 1.0 / 300;

std::string s(const json& j, const char* f) {
  auto it = j.find(f);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// An object, or already a reference, as an ObjectReference.
json reference_of(const json& o) {
  if (o.contains("metadata")) {
    const json& md = o["metadata"];
    json r = {{"kind", s(o, "kind")}, {"name", s(md, "name")}, {"apiVersion", s(o, "apiVersion")}};
    if (!s(md, "namespace").empty()) r["namespace"] = s(md, "namespace");
    if (!s(md, "uid").empty()) r["uid"] = s(md, "uid");
    if (!s(md, "resourceVersion").empty()) r["resourceVersion"] = s(md, "resourceVersion");
    return r;
  }
  json r = json::object();
  for (const char* f : {"kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"})
    if (!s(o, f).empty()) r[f] = s(o, f);
  return r;
}

std::string truncate_utf8(std::string m, size_t max) {
  if (m.size() <= max) return m;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(m[n]) & 0xC0) == 0x80) --n;  // not inside a character
  m.resize(n);
  return m;
}

// What client-go's correlator keys on, less the reason and message.
std::string object_key(const std::string& component, const std::string& host, const json& ref,
                       const std::string& type) {
  const char sep = '\x1f';
  return component + sep + host + sep + s(ref, "kind") + sep + s(ref, "namespace") + sep + s(ref, "name") +
         sep + s(ref, "uid") + sep + s(ref, "apiVersion") + sep + type;
}

std::string store_key(const json& ev) {
  return s(ev["metadata"], "namespace") + "/" + s(ev["metadata"], "name");
}

}  // namespace

EventRecorder::EventRecorder(ObjectStore& store, EventOptions opts)
    : store_(store), opts_(std::move(opts)), dir_(store.state_dir() + "/events") {
  mkdir_all(dir_, 0700);
  load();
}

EventRecorder::~EventRecorder() {
  if (flush_timer_ && store_.executor().cancel) store_.executor().cancel(*flush_timer_);
}

ObjectPtr EventRecorder::record(const json& involved, const std::string& type, const std::string& reason,
                                const std::string& message_in, const std::string& component) {
  auto now = store_.clock().steady();
  std::string now_text = k8s_time(store_.clock().wall());
  json ref = reference_of(involved);
  std::string msg = truncate_utf8(message_in, opts_.max_message_bytes);
  const char sep = '\x1f';
  std::string obj_key = object_key(component, opts_.source_host, ref, type);
  std::string agg_key = obj_key + sep + reason;

  // Aggregation by reason: the 10th distinct message within the interval starts a combined event.
  Aggregate& agg = aggregates_[agg_key];
  if (now - agg.last > kAggregateInterval) agg.messages.clear();
  if (std::find(agg.messages.begin(), agg.messages.end(), msg) == agg.messages.end())
    agg.messages.push_back(msg);
  agg.last = now;
  std::string dedup_key = agg_key + sep + msg;
  std::string message = msg;
  if (agg.messages.size() >= kAggregateMaxEvents) {
    agg.messages.erase(agg.messages.begin());  // the set does not grow beyond the threshold
    dedup_key = agg_key;
    message = "(combined from similar events): " + msg;
  }
  if (aggregates_.size() > kCacheKeys) {
    auto oldest = std::min_element(aggregates_.begin(), aggregates_.end(),
                                   [](auto& a, auto& b) { return a.second.last < b.second.last; });
    aggregates_.erase(oldest);
  }
  if (!allow(obj_key)) return nullptr;

  json ev;
  ObjectPtr old;
  auto d = dedup_.find(dedup_key);
  Stored* existing = nullptr;
  if (d != dedup_.end()) {
    auto e = events_.find(d->second);
    if (e != events_.end()) existing = &e->second;
  }
  if (existing) {
    old = existing->event;
    ev = *old;
    ev["count"] = ev.value("count", 1) + 1;
    ev["lastTimestamp"] = now_text;
    ev["message"] = message;
  } else {
    std::string ns = s(ref, "namespace").empty() ? "default" : s(ref, "namespace");
    auto nanos =
        std::chrono::duration_cast<std::chrono::nanoseconds>(store_.clock().wall().time_since_epoch())
            .count();
    char hex[24];
    std::string name;
    for (long long n = nanos;; ++n) {  // Kubernetes' "<object>.<hex nanoseconds>", made unique
      std::snprintf(hex, sizeof hex, "%llx", n);
      name = s(ref, "name") + "." + hex;
      if (!events_.count(ns + "/" + name)) break;
    }
    ev = {{"apiVersion", "v1"},
          {"kind", "Event"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"creationTimestamp", now_text}}},
          {"involvedObject", ref},
          {"reason", reason},
          {"message", message},
          {"source", {{"component", component}}},
          {"firstTimestamp", now_text},
          {"lastTimestamp", now_text},
          {"count", 1},
          {"type", type},
          {"reportingComponent", component},
          {"reportingInstance", opts_.source_host}};
    if (!opts_.source_host.empty()) ev["source"]["host"] = opts_.source_host;
  }
  uint64_t rv = store_.resource_version();
  try {
    rv = store_.next_revision();
  } catch (const Error&) {
    // The revision ceiling could not be written (disk full): the event still counts, in memory.
  }
  ev["metadata"]["resourceVersion"] = std::to_string(rv);
  auto ptr = std::make_shared<const json>(std::move(ev));
  if (existing)
    touch(*existing, ptr);
  else
    insert(ptr, dedup_key);
  mark_dirty(store_key(*ptr));
  enforce_bounds();
  store_.hub().publish(old, ptr, rv);
  return ptr;
}

bool EventRecorder::allow(const std::string& key) {
  auto now = store_.clock().steady();
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{kSpamBurst, now});
  Bucket& b = it->second;
  double secs = std::chrono::duration<double>(now - b.last).count();
  b.tokens = std::min(kSpamBurst, b.tokens + secs * kSpamQps);
  b.last = now;
  if (buckets_.size() > kCacheKeys) {
    // A bucket that has refilled is the same as no bucket: forget the one idle longest.
    auto oldest = std::min_element(buckets_.begin(), buckets_.end(),
                                   [](auto& a, auto& c) { return a.second.last < c.second.last; });
    if (oldest != it) buckets_.erase(oldest);
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

void EventRecorder::insert(ObjectPtr ev, const std::string& dedup_key) {
  std::string k = store_key(*ev);
  uint64_t seq = next_seq_++;
  std::string ns = s((*ev)["metadata"], "namespace");
  events_[k] = Stored{std::move(ev), seq, dedup_key};
  by_ns_[ns][seq] = k;
  by_seq_[seq] = k;
  if (!dedup_key.empty()) dedup_[dedup_key] = k;
}

void EventRecorder::touch(Stored& st, ObjectPtr ev) {
  std::string k = store_key(*ev);
  std::string ns = s((*ev)["metadata"], "namespace");
  by_ns_[ns].erase(st.seq);
  by_seq_.erase(st.seq);
  st.seq = next_seq_++;
  st.event = std::move(ev);
  by_ns_[ns][st.seq] = k;
  by_seq_[st.seq] = k;
}

void EventRecorder::evict(const std::string& k) {
  auto it = events_.find(k);
  if (it == events_.end()) return;
  std::string ns = s((*it->second.event)["metadata"], "namespace");
  auto& ring = by_ns_[ns];
  ring.erase(it->second.seq);
  if (ring.empty()) by_ns_.erase(ns);
  by_seq_.erase(it->second.seq);
  auto d = dedup_.find(it->second.dedup_key);
  if (d != dedup_.end() && d->second == k) dedup_.erase(d);
  events_.erase(it);
}

void EventRecorder::enforce_bounds() {
  for (auto it = by_ns_.begin(); it != by_ns_.end();) {
    auto next = std::next(it);
    while (it->second.size() > opts_.per_namespace) {
      std::string victim = it->second.begin()->second;
      bool last = it->second.size() == 1;
      evict(victim);
      if (last) break;
    }
    it = next;
  }
  while (events_.size() > opts_.total) evict(by_seq_.begin()->second);
}

std::vector<ObjectPtr> EventRecorder::list(const EventQuery& q) const {
  std::vector<ObjectPtr> out;
  for (const auto& [seq, k] : by_seq_) {
    const json& ev = *events_.at(k).event;
    const json& ref = ev["involvedObject"];
    if (!q.ns.empty() && s(ev["metadata"], "namespace") != q.ns) continue;
    if (!q.kind.empty() && s(ref, "kind") != q.kind) continue;
    if (!q.name.empty() && s(ref, "name") != q.name) continue;
    if (!q.uid.empty() && s(ref, "uid") != q.uid) continue;
    out.push_back(events_.at(k).event);
  }
  std::stable_sort(out.begin(), out.end(), [](const ObjectPtr& a, const ObjectPtr& b) {
    return s(*a, "lastTimestamp") < s(*b, "lastTimestamp");
  });
  return out;
}

void EventRecorder::mark_dirty(const std::string& k) {
  dirty_.push_back(k);
  if (dirty_.size() > opts_.total) {
    // Far more changes than events kept: the log needs each event once, at its latest.
    std::sort(dirty_.begin(), dirty_.end());
    dirty_.erase(std::unique(dirty_.begin(), dirty_.end()), dirty_.end());
  }
  arm_flush();
}

void EventRecorder::arm_flush() {
  if (flush_timer_ || dirty_.empty()) return;
  flush_timer_ = store_.executor().after(opts_.flush_interval, [this, alive = std::weak_ptr<int>(alive_)] {
    if (!alive.lock()) return;
    flush_timer_.reset();
    flush();
  });
}

bool EventRecorder::flush() {
  if (dirty_.empty()) return true;
  std::sort(dirty_.begin(), dirty_.end());
  dirty_.erase(std::unique(dirty_.begin(), dirty_.end()), dirty_.end());
  std::string batch;
  for (const auto& k : dirty_) {
    auto it = events_.find(k);
    if (it != events_.end()) batch += it->second.event->dump() + "\n";
  }
  std::string path = dir_ + "/events.jsonl";
  try {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 &&
        static_cast<size_t>(st.st_size) + batch.size() > opts_.log_max_bytes / 2) {
      if (::rename(path.c_str(), (path + ".1").c_str()) < 0) throw_errno("rotate " + path);
    }
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (!fd) throw_errno("open " + path);
    write_all(fd.get(), batch, path);
    if (::fdatasync(fd.get()) < 0) throw_errno("fdatasync " + path);
  } catch (const Error& e) {
    store_.report_background_error(std::string("events: ") + e.what());
    arm_flush();  // kept in memory; tried again at the next interval
    return false;
  }
  dirty_.clear();
  return true;
}

void EventRecorder::load() {
  std::map<std::string, json> latest;
  for (const std::string& path : {dir_ + "/events.jsonl.1", dir_ + "/events.jsonl"}) {
    std::string data;
    try {
      data = read_file(path);
    } catch (const Error& e) {
      if (e.err() != ENOENT) problems_.push_back({path, e.what(), "events in it are not loaded"});
      continue;
    }
    size_t bad = 0, pos = 0;
    while (pos < data.size()) {
      size_t nl = data.find('\n', pos);
      std::string line = data.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      pos = nl == std::string::npos ? data.size() : nl + 1;
      if (line.empty()) continue;
      try {
        json ev = json::parse(line);
        if (s(ev, "kind") != "Event" || s(ev["metadata"], "name").empty()) throw Error("not an event");
        std::string k = store_key(ev);  // before the move: json's operator= takes its argument by value
        latest[k] = std::move(ev);
      } catch (const std::exception&) {
        ++bad;
      }
    }
    if (bad)
      problems_.push_back({path, std::to_string(bad) + " damaged line(s) (a write cut short by a crash)",
                           "skipped; the other events are loaded"});
  }
  std::vector<json> evs;
  for (auto& [k, ev] : latest) evs.push_back(std::move(ev));
  std::stable_sort(evs.begin(), evs.end(), [](const json& a, const json& b) {
    return s(a, "lastTimestamp") < s(b, "lastTimestamp");
  });
  const char sep = '\x1f';
  for (auto& ev : evs) {
    const json& ref = ev["involvedObject"];
    std::string dedup_key =
        object_key(s(ev["source"], "component"), s(ev["source"], "host"), ref, s(ev, "type")) + sep +
        s(ev, "reason") + sep + s(ev, "message");
    insert(std::make_shared<const json>(std::move(ev)), dedup_key);
  }
  enforce_bounds();
}

}  // namespace skiff::store
