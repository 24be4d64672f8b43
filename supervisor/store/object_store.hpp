// ObjectStore: the supervisor's durable store of desired objects, Kubernetes-shaped JSON (kind,
// metadata.namespace, metadata.name), independent of any typed model: the manifest code converts to and
// from this JSON.
//
// On disk, under the state dir (DESIGN.md: /var/lib/skiff/supervisor):
//   lock, supervisor.pid          held for the store's lifetime: a second supervisor is refused
//   store/revision                the resourceVersion ceiling (reserved in blocks: one write per block)
//   store/objects/<plural>/[<ns>/]<name>.json   one file per object, spec and metadata (no status)
//   store/status/<plural>/[<ns>/]<name>.json    the last status that had to survive a restart
//   store/quarantine/             files found corrupt at load, moved aside and reported
// Every file is written with write_file_atomic(kDurable) and carries a checksum (document_file.hpp).
//
// What the store maintains, as an API server does: metadata.uid, creationTimestamp, resourceVersion
// (one counter for all kinds, monotonic across restarts), generation (1 at creation, +1 when `spec`
// changes), generateName, optimistic concurrency (an update or delete naming a resourceVersion fails
// with Conflict if the object has moved on), finalizers (delete of an object with finalizers sets
// deletionTimestamp; it goes when the last finalizer is removed). A create/update/delete is on disk when
// it returns; when the disk fails (ENOSPC, EIO) it throws StoreError(kInternal) and nothing changed, in
// memory or on disk. A no-op update writes nothing and keeps the resourceVersion.
//
// Status is kept apart from spec: in memory, published to watchers at once, and written only when the
// caller says a restart must not lose it (restart counts, last exit statuses), at most once per
// `status_write_interval` per object: flash-friendly, nothing written per probe or per tick.
//
// Not thread-safe: one thread (the supervisor's loop) calls it. Watch callbacks and coalesced writes
// run through the Executor on that same thread. Destroy it after the executor stops running its work.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "file_lock.hpp"
#include "store/clock.hpp"
#include "store/executor.hpp"
#include "store/kinds.hpp"
#include "store/store_error.hpp"
#include "store/watch_hub.hpp"

namespace skiff::store {

struct StoreOptions {
  std::string state_dir = "/var/lib/skiff/supervisor";
  Executor* executor = nullptr;  // required
  const Clock* clock = nullptr;  // nullptr: the system clocks
  std::chrono::milliseconds status_write_interval{std::chrono::seconds(10)};
  size_t watch_backlog = 1024;  // events queued per subscriber before it is ended
  size_t watch_history = 256;   // recent changes kept for watches that start from a resourceVersion
  uint64_t revision_block = 1000;
  // Told when a coalesced status write fails (it is retried at the next interval); e.g. a log line.
  std::function<void(const std::string&)> on_background_error;
};

// Something found wrong while loading, already dealt with as `action` says.
struct LoadProblem {
  std::string path;
  std::string problem;  // "checksum mismatch", "interrupted write (temp file)"
  std::string action;   // "moved to store/quarantine/...", "removed: the previous version is intact"
};

struct DeleteOptions {
  std::optional<std::string> resource_version;  // precondition
  std::optional<std::string> uid;               // precondition
  std::optional<int64_t> grace_period_seconds;  // recorded as metadata.deletionGracePeriodSeconds
};

enum class StatusWrite {
  kMemoryOnly,  // readiness, conditions that probes recompute after a restart
  kDurable,     // restart counts, exit statuses: written within status_write_interval
};

struct ListResult {
  std::vector<ObjectPtr> items;  // sorted by namespace, then name
  uint64_t resource_version;     // the store's revision when listed: watch from here misses nothing
};

class ObjectStore {
 public:
  // Takes the state dir's lock (StoreError kInternal naming the holder's pid if another supervisor
  // has it), creates the layout, loads every object (problems reported in load_problems(), never
  // fatal), and makes sure Namespace "default" exists.
  static std::unique_ptr<ObjectStore> open(StoreOptions options);
  ~ObjectStore();
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  const std::vector<LoadProblem>& load_problems() const { return problems_; }
  uint64_t resource_version() const { return rv_; }

  // nullptr when absent. `ns` is ignored for cluster-scoped kinds.
  ObjectPtr get(const std::string& kind, const std::string& ns, const std::string& name) const;
  // filter.kind is required.
  ListResult list(const Filter& filter) const;
  // Status of a returned object is whatever is in memory now.
  ObjectPtr create(nlohmann::json obj);
  // Replaces metadata (labels, annotations, finalizers, ownerReferences) and everything but status.
  // metadata.resourceVersion, when given, must be the current one.
  ObjectPtr update(nlohmann::json obj);
  // Replaces status. `resource_version`, when given, must be the current one.
  ObjectPtr update_status(const std::string& kind, const std::string& ns, const std::string& name,
                          nlohmann::json status, StatusWrite write = StatusWrite::kMemoryOnly,
                          const std::optional<std::string>& resource_version = std::nullopt);
  // Deletes, or with finalizers marks deletionTimestamp. Returns the object as it was last.
  ObjectPtr remove(const std::string& kind, const std::string& ns, const std::string& name,
                   const DeleteOptions& opts = {});

  // Changes after `since` (nullopt: from now). See WatchHub.
  WatchHub::Subscription watch(Filter filter, std::optional<uint64_t> since,
                               std::function<void(const WatchEvent&)> cb);
  WatchHub& hub() { return *hub_; }

  // Writes every pending durable status now (graceful shutdown). Returns false if one failed.
  bool flush_status();
  size_t pending_status_writes() const { return dirty_.size(); }

  // Next resourceVersion (also used by the event recorder, so events order with objects).
  uint64_t next_revision();
  const Clock& clock() const { return *clock_; }
  Executor& executor() const { return *opts_.executor; }
  void report_background_error(const std::string& what) const {
    if (opts_.on_background_error) opts_.on_background_error(what);
  }
  const std::string& state_dir() const { return opts_.state_dir; }

 private:
  struct Entry {
    ObjectPtr obj;  // with status merged in
    std::chrono::steady_clock::time_point last_status_write{};
  };
  explicit ObjectStore(StoreOptions options);
  void load();
  void load_file(const std::string& path, const KindInfo& kind, bool status_file);
  void quarantine(const std::string& path, const std::string& problem);
  void ensure_default_namespace();

  std::string key(const KindInfo& k, const std::string& ns, const std::string& name) const;
  std::string object_path(const KindInfo& k, const std::string& ns, const std::string& name) const;
  std::string status_path(const KindInfo& k, const std::string& ns, const std::string& name) const;
  void write_object(const KindInfo& k, const nlohmann::json& obj);
  void write_status(const KindInfo& k, const nlohmann::json& obj);
  void erase_files(const KindInfo& k, const std::string& ns, const std::string& name);
  void really_delete(const KindInfo& k, const std::string& key, ObjectPtr last);
  ObjectPtr commit(const KindInfo& k, const std::string& key, nlohmann::json obj, ObjectPtr old);

  void mark_status_dirty(const std::string& key, Entry& e);
  void flush_due_status();
  void arm_status_timer();

  StoreOptions opts_;
  const Clock* clock_;
  FileLock lock_;
  uint64_t rv_ = 0;
  uint64_t rv_ceiling_ = 0;
  std::map<std::string, Entry> objects_;  // key(): "<Kind>/<ns>/<name>", ordered for prefix scans
  std::map<std::string, std::chrono::steady_clock::time_point> dirty_;  // status writes due
  std::optional<uint64_t> status_timer_;
  std::chrono::steady_clock::time_point status_timer_due_{};
  std::vector<LoadProblem> problems_;
  std::unique_ptr<WatchHub> hub_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// "pods \"web\"" as Kubernetes names an object in messages.
std::string describe_object(const KindInfo& k, const std::string& name);

}  // namespace skiff::store
