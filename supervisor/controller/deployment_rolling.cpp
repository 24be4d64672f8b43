// rolling.go: a RollingUpdate rollout. Each sync scales the new ReplicaSet up as far as maxSurge allows,
// or else scales old ReplicaSets down as far as maxUnavailable allows (unhealthy old replicas first),
// so at most replicas + maxSurge pods exist and at least replicas - maxUnavailable are available.
#include <algorithm>

#include "controller/deployment_controller.hpp"

namespace skiff::controller {

using manifest::Deployment;
using manifest::ReplicaSet;

void DeploymentController::rollout_rolling(Deployment& d, RSList& rss) {
  auto [new_rs, old_rss] = all_replica_sets_and_sync_revision(d, rss, true);
  RSList all = old_rss;
  all.push_back(new_rs);
  if (reconcile_new_replica_set(all, *new_rs, d)) return sync_rollout_status(all, new_rs, d);
  if (reconcile_old_replica_sets(all, filter_active(old_rss), *new_rs, d))
    return sync_rollout_status(all, new_rs, d);
  if (deployment_complete(d, d.status)) cleanup_deployment(old_rss, d);
  sync_rollout_status(all, new_rs, d);
}

bool DeploymentController::reconcile_new_replica_set(const RSList& all, ReplicaSet& new_rs,
                                                     const Deployment& d) {
  if (replicas_of(new_rs) == replicas_of(d)) return false;
  if (replicas_of(new_rs) > replicas_of(d))
    return scale_replica_set_and_record_event(new_rs, replicas_of(d), d);
  return scale_replica_set_and_record_event(new_rs, new_rs_new_replicas(d, all, new_rs), d);
}

bool DeploymentController::reconcile_old_replica_sets(const RSList& all, RSList old_rss,
                                                      const ReplicaSet& new_rs, const Deployment& d) {
  if (replica_count(old_rss) == 0) return false;
  int32_t all_pods = replica_count(all);
  // Scaling down is safe for old replicas that are unavailable anyway, and for available ones once new
  // replicas are available in their place. New replicas that are not available count against the budget,
  // so a crash-looping new ReplicaSet cannot drain the old one:
  //   maxScaledDown = allPods - minAvailable - newRSUnavailable
  int32_t min_available = replicas_of(d) - max_unavailable(d);
  int32_t new_unavailable = replicas_of(new_rs) - new_rs.status.available_replicas;
  int32_t max_scaled_down = all_pods - min_available - new_unavailable;
  if (max_scaled_down <= 0) return false;
  // Unhealthy replicas first, or they would block the rollout until it times out.
  int32_t cleaned = cleanup_unhealthy_replicas(old_rss, d, max_scaled_down);
  RSList all_now = old_rss;
  for (const auto& rs : all)
    if (rs && rs->metadata.uid == new_rs.metadata.uid) all_now.push_back(rs);
  int32_t scaled = scale_down_old_replica_sets_for_rolling_update(all_now, old_rss, d);
  return cleaned + scaled > 0;
}

int32_t DeploymentController::cleanup_unhealthy_replicas(RSList& old_rss, const Deployment& d,
                                                         int32_t max_cleanup) {
  sort_by_creation(old_rss);
  // A ReplicaSet deletes not-ready, unscheduled and pending pods first: these go without lowering
  // availability.
  int32_t total = 0;
  for (auto& rs : old_rss) {
    if (total >= max_cleanup) break;
    if (replicas_of(*rs) == 0) continue;
    if (replicas_of(*rs) == rs->status.available_replicas) continue;
    int32_t count = std::min(max_cleanup - total, replicas_of(*rs) - rs->status.available_replicas);
    int32_t new_count = replicas_of(*rs) - count;
    if (new_count > replicas_of(*rs))
      throw Error(0, "when cleaning up unhealthy replicas, got invalid request to scale down " +
                         rs->metadata.namespace_ + "/" + rs->metadata.name + " " +
                         std::to_string(replicas_of(*rs)) + " -> " + std::to_string(new_count));
    scale_replica_set_and_record_event(*rs, new_count, d);
    total += count;
  }
  return total;
}

int32_t DeploymentController::scale_down_old_replica_sets_for_rolling_update(const RSList& all,
                                                                             RSList old_rss,
                                                                             const Deployment& d) {
  int32_t min_available = replicas_of(d) - max_unavailable(d);
  int32_t available = available_replica_count(all);
  if (available <= min_available) return 0;
  sort_by_creation(old_rss);
  int32_t total = 0, wanted = available - min_available;
  for (auto& rs : old_rss) {
    if (total >= wanted) break;
    if (replicas_of(*rs) == 0) continue;
    int32_t count = std::min(replicas_of(*rs), wanted - total);
    int32_t new_count = replicas_of(*rs) - count;
    if (new_count > replicas_of(*rs))
      throw Error(0, "when scaling down old RS, got invalid request to scale down " +
                         rs->metadata.namespace_ + "/" + rs->metadata.name + " " +
                         std::to_string(replicas_of(*rs)) + " -> " + std::to_string(new_count));
    scale_replica_set_and_record_event(*rs, new_count, d);
    total += count;
  }
  return total;
}

}  // namespace skiff::controller
