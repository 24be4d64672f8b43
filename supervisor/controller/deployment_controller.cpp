// deployment_controller.go: the sync entry, the ReplicaSets a Deployment claims, and the handlers that
// decide which Deployments an object change concerns.
#include "controller/deployment_controller.hpp"

#include "controller/claim.hpp"
#include "controller/pod_util.hpp"
#include "manifest/label_selector.hpp"

namespace skiff::controller {
namespace {

using manifest::Deployment;
using manifest::Pod;
using manifest::ReplicaSet;

// A missing selector selects nothing.
bool selects(const Deployment& d, const manifest::LabelMap& labels) {
  return d.spec.selector && manifest::selector_matches(*d.spec.selector, labels);
}

std::pair<std::string, std::string> split_key(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

}  // namespace

DeploymentController::DeploymentController(const ObjectCache& cache, Client& client, const Clock& clock,
                                           Enqueue enqueue)
    : cache_(cache), client_(client), clock_(clock), enqueue_(std::move(enqueue)) {}

SyncResult DeploymentController::sync(const std::string& key) {
  auto [ns, name] = split_key(key);
  auto cached = cache_.get<Deployment>(ns, name);
  if (!cached) return {};
  Deployment d = *cached;
  requeue_after_.reset();
  SyncResult result;
  try {
    if (d.spec.selector && d.spec.selector->empty()) {
      emit_event(d, "Warning", "SelectingAll",
                 "This deployment is selecting all pods. A non-empty selector is required.");
      if (d.status.observed_generation < d.metadata.generation) {
        d.status.observed_generation = d.metadata.generation;
        update_status(d);
      }
      return result;
    }
    RSList rss = replica_sets_for(d);
    PodMap pods = pod_map_for(d, rss);
    if (d.metadata.deletion_timestamp) {
      sync_status_only(d, rss);
    } else {
      // Pausing and resuming set a condition of their own, so a resumed Deployment is not timed out for
      // the time it spent paused.
      check_paused_conditions(d);
      if (d.spec.paused) {
        sync_scaled(d, rss);
      } else if (rollback_to(d)) {
        // Not re-entrant: the rollback clears its annotation before anything else happens.
        rollback(d, rss);
      } else if (is_scaling_event(d, rss)) {
        sync_scaled(d, rss);
      } else if (d.spec.strategy.type == "Recreate") {
        rollout_recreate(d, rss, pods);
      } else if (d.spec.strategy.type == "RollingUpdate") {
        rollout_rolling(d, rss);
      } else {
        result.error = "unexpected deployment strategy type: " + d.spec.strategy.type;
      }
    }
  } catch (const Error& e) {
    result.error = e.what();
  }
  result.requeue_after = requeue_after_;
  return result;
}

RSList DeploymentController::replica_sets_for(const Deployment& d) {
  RSList out;
  Owner owner{d.metadata, "apps/v1", "Deployment"};
  for (const auto& rs : cache_.list<ReplicaSet>(d.metadata.namespace_))
    if (claim_object(owner, "ReplicaSet", rs->metadata, selects(d, rs->metadata.labels), client_))
      out.push_back(std::make_shared<ReplicaSet>(*rs));
  return out;
}

DeploymentController::PodMap DeploymentController::pod_map_for(const Deployment& d, const RSList& rss) const {
  PodMap map;
  for (const auto& rs : rss) map[rs->metadata.uid];
  for (const auto& p : cache_.list<Pod>(d.metadata.namespace_)) {
    if (!selects(d, p->metadata.labels)) continue;
    const auto* ref = controller_of(p->metadata);
    if (!ref) continue;
    auto it = map.find(ref->uid);
    if (it != map.end()) it->second.push_back(p);
  }
  return map;
}

Ptr<Deployment> DeploymentController::resolve_controller_ref(const std::string& ns,
                                                             const manifest::OwnerReference& ref) const {
  if (ref.kind != "Deployment") return nullptr;
  auto d = cache_.get<Deployment>(ns, ref.name);
  if (!d || d->metadata.uid != ref.uid) return nullptr;
  return d;
}

Ptr<Deployment> DeploymentController::deployment_for_pod(const Pod& pod) const {
  const auto* ref = controller_of(pod.metadata);
  if (!ref || ref->kind != "ReplicaSet") return nullptr;
  auto rs = cache_.get<ReplicaSet>(pod.metadata.namespace_, ref->name);
  if (!rs || rs->metadata.uid != ref->uid) return nullptr;
  const auto* owner = controller_of(rs->metadata);
  return owner ? resolve_controller_ref(rs->metadata.namespace_, *owner) : nullptr;
}

std::vector<Ptr<Deployment>> DeploymentController::deployments_for_replica_set(const ReplicaSet& rs) const {
  std::vector<Ptr<Deployment>> out;
  for (const auto& d : cache_.list<Deployment>(rs.metadata.namespace_))
    if (d->spec.selector && !d->spec.selector->empty() && selects(*d, rs.metadata.labels)) out.push_back(d);
  return out;
}

void DeploymentController::enqueue(const manifest::ObjectMeta& d, std::chrono::milliseconds delay) {
  enqueue_(key_of(d), delay);
}

void DeploymentController::deployment_changed(const Deployment& d) {
  enqueue(d.metadata);
}

void DeploymentController::replica_set_added(const ReplicaSet& rs) {
  if (rs.metadata.deletion_timestamp) {
    replica_set_deleted(rs);
    return;
  }
  if (const auto* ref = controller_of(rs.metadata)) {
    if (auto d = resolve_controller_ref(rs.metadata.namespace_, *ref)) enqueue(d->metadata);
    return;
  }
  for (const auto& d : deployments_for_replica_set(rs)) enqueue(d->metadata);
}

void DeploymentController::replica_set_updated(const ReplicaSet& old_rs, const ReplicaSet& rs) {
  if (rs.metadata.resource_version == old_rs.metadata.resource_version) return;
  const auto* cur_ref = controller_of(rs.metadata);
  const auto* old_ref = controller_of(old_rs.metadata);
  bool ref_changed = (cur_ref == nullptr) != (old_ref == nullptr) || (cur_ref && !(*cur_ref == *old_ref));
  if (ref_changed && old_ref)
    if (auto d = resolve_controller_ref(old_rs.metadata.namespace_, *old_ref)) enqueue(d->metadata);
  if (cur_ref) {
    if (auto d = resolve_controller_ref(rs.metadata.namespace_, *cur_ref)) enqueue(d->metadata);
    return;
  }
  if (rs.metadata.labels != old_rs.metadata.labels || ref_changed)
    for (const auto& d : deployments_for_replica_set(rs)) enqueue(d->metadata);
}

void DeploymentController::replica_set_deleted(const ReplicaSet& rs) {
  const auto* ref = controller_of(rs.metadata);
  if (!ref) return;
  if (auto d = resolve_controller_ref(rs.metadata.namespace_, *ref)) enqueue(d->metadata);
}

void DeploymentController::pod_deleted(const Pod& pod) {
  auto d = deployment_for_pod(pod);
  if (!d || d->spec.strategy.type != "Recreate") return;
  // A Recreate rollout waits for the old pods to be gone: sync when the last one goes.
  RSList rss;
  for (const auto& rs : cache_.list<ReplicaSet>(d->metadata.namespace_))
    if (selects(*d, rs->metadata.labels)) rss.push_back(std::make_shared<ReplicaSet>(*rs));
  size_t pods = 0;
  for (const auto& [uid, list] : pod_map_for(*d, rss)) pods += list.size();
  if (pods == 0) enqueue(d->metadata);
}

void DeploymentController::emit_event(const Deployment& d, std::string_view type, std::string_view reason,
                                      const std::string& message) {
  client_.record_event(ref_of(d), type, reason, message);
}

void DeploymentController::update_status(Deployment& d) {
  Deployment stored = client_.update_status_typed(d, true);
  // Our own write moved the resourceVersion on; later writes of this sync build on it.
  d.metadata.resource_version = stored.metadata.resource_version;
}

}  // namespace skiff::controller
