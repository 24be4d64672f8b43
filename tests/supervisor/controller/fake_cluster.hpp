// A stand-in API server and informer for controller tests (no store, no loop): FakeClient applies writes
// to `server` as the store would (uid, generateName, resourceVersion, generation, creationTimestamp,
// finalizers and deletionTimestamp) and queues watch events; Cluster::deliver() applies them to the
// controllers' cache and calls their handlers, so tests choose when the cache catches up. Time is a
// FakeClock the test moves.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/client.hpp"
#include "controller/clock.hpp"
#include "controller/deployment_controller.hpp"
#include "controller/garbage_collector.hpp"
#include "controller/namespace_controller.hpp"
#include "controller/object_cache.hpp"
#include "controller/pod_util.hpp"
#include "controller/replica_set_controller.hpp"
#include "manifest/manifest.hpp"

namespace skiff::controller::testing {

class FakeClock : public Clock {
 public:
  WallTime wall() const override { return wall_; }
  std::chrono::steady_clock::time_point steady() const override { return steady_; }
  void advance(std::chrono::milliseconds d) {
    wall_ += d;
    steady_ += d;
  }

 private:
  // 2026-12-01T00:00:00Z, a whole second, so times survive the second-precision round trip.
  WallTime wall_ = WallTime(std::chrono::seconds(1796083200));
  std::chrono::steady_clock::time_point steady_ =
      std::chrono::steady_clock::time_point(std::chrono::hours(1000));
};

struct Change {
  std::shared_ptr<const manifest::Object> old_obj, new_obj;
};

struct RecordedEvent {
  ObjectRef involved;
  std::string type, reason, message;
};

class FakeClient : public Client {
 public:
  FakeClient(ObjectCache& server, const FakeClock& clock) : server_(server), clock_(clock) {}

  // Return an error to fail the call; `op` is create, update, update_status, owner_refs or remove.
  std::function<std::optional<ClientError>(std::string_view op, const manifest::Object&)> fail;
  // Pods deleted get a deletionTimestamp and stay until finish_pod_deletion (the kubelet's part).
  bool graceful_pods = false;

  std::deque<Change> changes;
  std::vector<RecordedEvent> events;
  std::vector<std::string> calls;  // "create Pod ns/name" ...

  manifest::Object create(const manifest::Object& in) override {
    manifest::Object obj = in;
    auto& m = manifest::meta_of(obj);
    check("create", obj);
    if (m.name.empty() && !m.generate_name.empty()) m.name = m.generate_name + suffix();
    if (server_.find(manifest::kind_of(obj), m.namespace_, m.name))
      throw ClientError(ErrorReason::kAlreadyExists, plural(obj) + " \"" + m.name + "\" already exists");
    m.uid = "uid-" + std::to_string(++uids_);
    m.generation = 1;
    m.creation_timestamp = to_time(clock_.wall());
    m.resource_version = std::to_string(++rv_);
    commit("create", obj);
    return obj;
  }

  manifest::Object update(const manifest::Object& in) override {
    auto old = existing(in);
    manifest::Object obj = in;
    check("update", obj);
    auto& m = manifest::meta_of(obj);
    const auto& om = manifest::meta_of(*old);
    precondition(om, m.resource_version);
    m.uid = om.uid;
    m.creation_timestamp = om.creation_timestamp;
    m.deletion_timestamp = om.deletion_timestamp;
    m.generation = om.generation + (spec_of(obj) != spec_of(*old) ? 1 : 0);
    copy_status(*old, obj);
    m.resource_version = std::to_string(++rv_);
    if (m.deletion_timestamp && !blocked(obj)) return erase(obj);
    commit("update", obj);
    return obj;
  }

  manifest::Object update_status(const manifest::Object& in, bool durable) override {
    auto old = existing(in);
    check("update_status", in);
    precondition(manifest::meta_of(*old), manifest::meta_of(in).resource_version);
    manifest::Object obj = *old;
    copy_status(in, obj);
    if (std::holds_alternative<manifest::Deployment>(obj))  // annotations go with a Deployment's status
      manifest::meta_of(obj).annotations = manifest::meta_of(in).annotations;
    manifest::meta_of(obj).resource_version = std::to_string(++rv_);
    durable_writes += durable;
    commit("update_status", obj);
    return obj;
  }

  manifest::Object set_owner_references(std::string_view kind, const std::string& ns, const std::string& name,
                                        const std::string& uid,
                                        const std::vector<manifest::OwnerReference>& refs) override {
    auto old = server_.find(kind, ns, name);
    if (!old || manifest::meta_of(*old).uid != uid)
      throw ClientError(ErrorReason::kNotFound, std::string(kind) + " \"" + name + "\" not found");
    manifest::Object obj = *old;
    check("owner_refs", obj);
    manifest::meta_of(obj).owner_references = refs;
    manifest::meta_of(obj).resource_version = std::to_string(++rv_);
    commit("owner_refs", obj);
    return obj;
  }

  void remove(std::string_view kind, const std::string& ns, const std::string& name,
              const RemoveOptions& opts) override {
    auto old = server_.find(kind, ns, name);
    if (!old) throw ClientError(ErrorReason::kNotFound, std::string(kind) + " \"" + name + "\" not found");
    manifest::Object obj = *old;
    check("remove", obj);
    auto& m = manifest::meta_of(obj);
    if (opts.uid && *opts.uid != m.uid) throw ClientError(ErrorReason::kConflict, "Precondition failed: UID");
    if (opts.propagation == "Foreground") add_finalizer(m, "foregroundDeletion");
    if (opts.propagation == "Orphan") add_finalizer(m, "orphan");
    bool graceful = graceful_pods && std::holds_alternative<manifest::Pod>(obj);
    if (!blocked(obj) && !graceful) {
      erase(obj);
      return;
    }
    if (!m.deletion_timestamp) {
      m.deletion_timestamp = to_time(clock_.wall());
      m.resource_version = std::to_string(++rv_);
      commit("remove", obj);
    }
  }

  void record_event(const ObjectRef& involved, std::string_view type, std::string_view reason,
                    const std::string& message) override {
    events.push_back({involved, std::string(type), std::string(reason), message});
  }

  // The kubelet's end of a graceful deletion.
  void finish_pod_deletion(const std::string& ns, const std::string& name) {
    auto old = server_.find("Pod", ns, name);
    if (old) erase(*old);
  }

  int durable_writes = 0;

  // Events whose reason is `reason`, messages only.
  std::vector<std::string> messages(std::string_view reason) const {
    std::vector<std::string> out;
    for (const auto& e : events)
      if (e.reason == reason) out.push_back(e.message);
    return out;
  }

 private:
  static std::string plural(const manifest::Object& o) {
    std::string s(manifest::kind_of(o));
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s + "s";
  }
  // Finalizers hold a deletion; a Namespace's spec.finalizers too, as the API server's namespace
  // registry keeps a Namespace until they are gone.
  static bool blocked(const manifest::Object& o) {
    if (!manifest::meta_of(o).finalizers.empty()) return true;
    const auto* ns = std::get_if<manifest::Namespace>(&o);
    return ns && !ns->spec.finalizers.empty();
  }
  static void add_finalizer(manifest::ObjectMeta& m, const std::string& f) {
    if (std::find(m.finalizers.begin(), m.finalizers.end(), f) == m.finalizers.end())
      m.finalizers.push_back(f);
  }
  static nlohmann::json spec_of(const manifest::Object& o) {
    auto j = manifest::to_json(o);
    j.erase("metadata");
    j.erase("status");
    return j;
  }
  static void copy_status(const manifest::Object& from, manifest::Object& to) {
    std::visit(
        [&](auto& t) {
          using T = std::decay_t<decltype(t)>;
          if constexpr (requires { t.status; }) t.status = std::get<T>(from).status;
        },
        to);
  }
  std::shared_ptr<const manifest::Object> existing(const manifest::Object& obj) {
    const auto& m = manifest::meta_of(obj);
    auto old = server_.find(manifest::kind_of(obj), m.namespace_, m.name);
    if (!old) throw ClientError(ErrorReason::kNotFound, plural(obj) + " \"" + m.name + "\" not found");
    return old;
  }
  void precondition(const manifest::ObjectMeta& stored, const std::string& rv) {
    if (!rv.empty() && rv != stored.resource_version)
      throw ClientError(ErrorReason::kConflict,
                        "Operation cannot be fulfilled on \"" + stored.name +
                            "\": the object has been modified; please apply your changes "
                            "to the latest version and try again");
  }
  void check(std::string_view op, const manifest::Object& obj) {
    if (fail)
      if (auto e = fail(op, obj)) throw *e;
  }
  void commit(std::string_view op, const manifest::Object& obj) {
    const auto& m = manifest::meta_of(obj);
    calls.push_back(std::string(op) + " " + std::string(manifest::kind_of(obj)) + " " + m.namespace_ + "/" +
                    m.name);
    auto old = server_.put(obj);
    changes.push_back({old, server_.find(manifest::kind_of(obj), m.namespace_, m.name)});
  }
  manifest::Object erase(const manifest::Object& obj) {
    const auto& m = manifest::meta_of(obj);
    calls.push_back("delete " + std::string(manifest::kind_of(obj)) + " " + m.namespace_ + "/" + m.name);
    auto old = server_.erase(manifest::kind_of(obj), m.namespace_, m.name);
    changes.push_back({old, nullptr});
    return obj;
  }
  std::string suffix() {
    static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    std::string s;
    uint64_t x = ++names_ * 2654435761u;
    for (int i = 0; i < 5; ++i, x /= 27) s += kAlphabet[x % 27];
    return s;
  }

  ObjectCache& server_;
  const FakeClock& clock_;
  uint64_t rv_ = 100, uids_ = 0, names_ = 0;
};

inline manifest::Namespace default_namespace() {
  manifest::Namespace ns;
  ns.metadata.name = "default";
  return ns;
}

// A work queue per controller: key -> when it is due.
struct FakeQueue {
  std::map<std::string, std::chrono::steady_clock::time_point> due;
  void add(const std::string& key, std::chrono::steady_clock::time_point when) {
    auto it = due.find(key);
    if (it == due.end() || when < it->second) due[key] = when;
  }
};

// Controllers, cache and fake API wired the way the supervisor wires them.
class Cluster {
 public:
  Cluster()
      : client(server, clock),
        rsc(cache, client, clock, enqueuer(rs_queue)),
        dc(cache, client, clock, enqueuer(d_queue)),
        nsc(cache, client, clock, enqueuer(ns_queue)),
        gc(cache, client, enqueuer(gc_queue)) {
    apply(default_namespace());
    settle();
  }

  FakeClock clock;
  ObjectCache server, cache;
  FakeClient client;
  FakeQueue rs_queue, d_queue, ns_queue, gc_queue;
  ReplicaSetController rsc;
  DeploymentController dc;
  NamespaceController nsc;
  GarbageCollector gc;
  std::vector<std::string> errors;   // sync errors seen
  std::function<void()> after_sync;  // called after every sync (a test's invariant checks)

  // Puts an object straight into the API (as `skiff apply` would) and returns it as stored.
  template <typename T>
  T apply(const T& obj) {
    auto existing = server.get<T>(obj.metadata.namespace_, obj.metadata.name);
    if (!existing) return client.create_typed(obj);
    T copy = obj;
    copy.metadata.resource_version.clear();
    return client.update_typed(copy);
  }

  // Applies every queued watch event to the cache and calls the handlers.
  void deliver() {
    while (!client.changes.empty()) {
      Change c = client.changes.front();
      client.changes.pop_front();
      if (c.new_obj) {
        cache.put(*c.new_obj);
        dispatch_change(c.old_obj.get(), *c.new_obj);
      } else if (c.old_obj) {
        const auto& m = manifest::meta_of(*c.old_obj);
        cache.erase(manifest::kind_of(*c.old_obj), m.namespace_, m.name);
        dispatch_delete(*c.old_obj);
      }
    }
  }

  // Delivers and syncs whatever is due now, until nothing is; at most `rounds` syncs (a guard against
  // a controller that never settles, which the test then sees as a failure).
  void settle(int rounds = 1000) {
    for (int i = 0; i < rounds; ++i) {
      deliver();
      if (!run_one(rs_queue, [&](auto& k) { return rsc.sync(k); }) &&
          !run_one(d_queue, [&](auto& k) { return dc.sync(k); }) &&
          !run_one(ns_queue, [&](auto& k) { return nsc.sync(k); }) &&
          !run_one(gc_queue, [&](auto& k) { return gc.sync(k); }) && client.changes.empty())
        return;
    }
    ADD_FAILURE() << "controllers did not settle in " << rounds << " syncs";
  }

  // Moves the clock on, then settles.
  void advance(std::chrono::milliseconds d) {
    clock.advance(d);
    settle();
  }

  // The kubelet's part, for the pods the test names (all active ones when empty): Running, and Ready
  // (or not), as of now.
  void run_pods(bool ready, const std::vector<std::string>& names = {}) {
    for (const auto& p : server.list<manifest::Pod>()) {
      if (p->metadata.deletion_timestamp) continue;
      if (!names.empty() && std::find(names.begin(), names.end(), p->metadata.name) == names.end()) continue;
      manifest::Pod pod = *p;
      pod.status.phase = "Running";
      bool was_ready = is_pod_ready(pod);
      std::erase_if(pod.status.conditions, [](auto& c) { return c.type == "Ready"; });
      manifest::PodCondition c;
      c.type = "Ready";
      c.status = ready ? "True" : "False";
      const auto* old = pod_condition(*p, "Ready");
      c.last_transition_time = old && was_ready == ready ? old->last_transition_time : to_time(clock.wall());
      pod.status.conditions.push_back(c);
      if (pod == *p) continue;
      pod.metadata.resource_version.clear();
      client.update_status_typed(pod, false);
    }
  }

  template <typename T>
  std::vector<Ptr<T>> list(const std::string& ns = "default") const {
    return server.list<T>(ns);
  }
  size_t active_pods(const std::string& ns = "default") const {
    size_t n = 0;
    for (const auto& p : server.list<manifest::Pod>(ns)) n += is_pod_active(*p);
    return n;
  }

 private:
  Enqueue enqueuer(FakeQueue& q) {
    return [this, &q](const std::string& key, std::chrono::milliseconds delay) {
      q.add(key, clock.steady() + delay);
    };
  }
  template <typename F>
  bool run_one(FakeQueue& q, F sync) {
    for (auto it = q.due.begin(); it != q.due.end(); ++it) {
      if (it->second > clock.steady()) continue;
      std::string key = it->first;
      q.due.erase(it);
      SyncResult r = sync(key);
      if (after_sync) after_sync();
      if (!r.ok()) {
        errors.push_back(key + ": " + r.error);
        q.add(key, clock.steady() + std::chrono::milliseconds(10));
      }
      if (r.requeue_after) q.add(key, clock.steady() + *r.requeue_after);
      return true;
    }
    return false;
  }
  void dispatch_change(const manifest::Object* old, const manifest::Object& obj) {
    if (const auto* rs = std::get_if<manifest::ReplicaSet>(&obj)) {
      if (old) {
        rsc.replica_set_updated(std::get<manifest::ReplicaSet>(*old), *rs);
        dc.replica_set_updated(std::get<manifest::ReplicaSet>(*old), *rs);
      } else {
        rsc.replica_set_added(*rs);
        dc.replica_set_added(*rs);
      }
    } else if (const auto* p = std::get_if<manifest::Pod>(&obj)) {
      if (old)
        rsc.pod_updated(std::get<manifest::Pod>(*old), *p);
      else
        rsc.pod_added(*p);
    } else if (const auto* d = std::get_if<manifest::Deployment>(&obj)) {
      dc.deployment_changed(*d);
    } else if (const auto* n = std::get_if<manifest::Namespace>(&obj)) {
      nsc.namespace_changed(*n);
    }
    gc.object_changed(obj);
  }
  void dispatch_delete(const manifest::Object& obj) {
    if (const auto* rs = std::get_if<manifest::ReplicaSet>(&obj)) {
      rsc.replica_set_deleted(*rs);
      dc.replica_set_deleted(*rs);
    } else if (const auto* p = std::get_if<manifest::Pod>(&obj)) {
      rsc.pod_deleted(*p);
      dc.pod_deleted(*p);
    } else if (const auto* d = std::get_if<manifest::Deployment>(&obj)) {
      dc.deployment_changed(*d);
    } else if (const auto* n = std::get_if<manifest::Namespace>(&obj)) {
      nsc.namespace_deleted(*n);
    }
    nsc.object_deleted(manifest::meta_of(obj));
    gc.object_deleted(obj);
  }
};

// Objects from YAML with Kubernetes' defaults, as an apply would store them.
template <typename T>
T parse_one(const std::string& yaml) {
  auto r = manifest::parse_manifests(yaml);
  if (!r.ok()) ADD_FAILURE() << r.error_text();
  if (r.objects.size() != 1) {
    ADD_FAILURE() << "expected one object";
    return T{};
  }
  return std::get<T>(r.objects[0].object);
}

}  // namespace skiff::controller::testing
