// recreate.go: every old pod goes before any new one starts.
#include "controller/deployment_controller.hpp"

namespace skiff::controller {

using manifest::Deployment;

void DeploymentController::rollout_recreate(Deployment& d, RSList& rss, const PodMap& pods) {
  // No new ReplicaSet yet: making one now would scale up before the old ones are down.
  auto [new_rs, old_rss] = all_replica_sets_and_sync_revision(d, rss, false);
  RSList all = old_rss;
  all.push_back(new_rs);
  if (scale_down_old_replica_sets_for_recreate(filter_active(old_rss), d))
    return sync_rollout_status(all, new_rs, d);
  if (old_pods_running(new_rs, old_rss, pods)) return sync_rollout_status(all, new_rs, d);
  if (!new_rs) {
    std::tie(new_rs, old_rss) = all_replica_sets_and_sync_revision(d, rss, true);
    all = old_rss;
    all.push_back(new_rs);
  }
  scale_replica_set_and_record_event(*new_rs, replicas_of(d), d);
  if (deployment_complete(d, d.status)) cleanup_deployment(old_rss, d);
  sync_rollout_status(all, new_rs, d);
}

bool DeploymentController::scale_down_old_replica_sets_for_recreate(const RSList& old_rss,
                                                                    const Deployment& d) {
  bool scaled = false;
  for (const auto& rs : old_rss) {
    if (replicas_of(*rs) == 0) continue;
    if (scale_replica_set_and_record_event(*rs, 0, d)) scaled = true;
  }
  return scaled;
}

bool DeploymentController::old_pods_running(const RSPtr& new_rs, const RSList& old_rss, const PodMap& pods) {
  if (actual_replica_count(old_rss) > 0) return true;
  for (const auto& [uid, list] : pods) {
    if (new_rs && new_rs->metadata.uid == uid) continue;
    for (const auto& p : list) {
      // Pods in a terminal phase are done; anything else (Unknown included: it may still run) counts.
      if (p->status.phase == "Failed" || p->status.phase == "Succeeded") continue;
      return true;
    }
  }
  return false;
}

}  // namespace skiff::controller
