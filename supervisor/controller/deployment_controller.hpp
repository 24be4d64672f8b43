// The Deployment controller (pkg/controller/deployment/): a ReplicaSet per pod template, named
// `<deployment>-<pod-template-hash>` and labelled with the hash, owned by the Deployment; revisions in
// the deployment.kubernetes.io/revision annotation; scaling (proportional across ReplicaSets while a
// rollout is under way) without a rollout; a template change makes a new ReplicaSet and rolls to it,
// RollingUpdate (maxSurge / maxUnavailable, minReadySeconds) or Recreate; the Progressing and Available
// conditions, the progress deadline, the revision history limit, pause, and rollback (the
// deprecated.deployment.rollback.to annotation, which `rollout undo` can also do client-side).
// The code follows upstream's files: deployment_controller.go (sync entry, claims, handlers),
// sync.go, rolling.go, recreate.go, progress.go, rollback.go, each in its own file here.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controller/client.hpp"
#include "controller/clock.hpp"
#include "controller/deployment_util.hpp"
#include "controller/object_cache.hpp"
#include "controller/sync_result.hpp"

namespace skiff::controller {

class DeploymentController {
 public:
  DeploymentController(const ObjectCache& cache, Client& client, const Clock& clock, Enqueue enqueue);

  // Syncs the Deployment "namespace/name".
  SyncResult sync(const std::string& key);

  // Informer handlers (after the cache has the change): they queue the Deployments concerned.
  void deployment_changed(const manifest::Deployment& d);
  void replica_set_added(const manifest::ReplicaSet& rs);
  void replica_set_updated(const manifest::ReplicaSet& old_rs, const manifest::ReplicaSet& rs);
  void replica_set_deleted(const manifest::ReplicaSet& rs);
  void pod_deleted(const manifest::Pod& pod);

 private:
  using PodMap = std::map<std::string, std::vector<Ptr<manifest::Pod>>>;  // ReplicaSet uid -> pods

  // deployment_controller.go
  RSList replica_sets_for(const manifest::Deployment& d);
  PodMap pod_map_for(const manifest::Deployment& d, const RSList& rss) const;
  Ptr<manifest::Deployment> deployment_for_pod(const manifest::Pod& pod) const;
  std::vector<Ptr<manifest::Deployment>> deployments_for_replica_set(const manifest::ReplicaSet& rs) const;
  Ptr<manifest::Deployment> resolve_controller_ref(const std::string& ns,
                                                   const manifest::OwnerReference& ref) const;
  void enqueue(const manifest::ObjectMeta& d, std::chrono::milliseconds delay = {});

  // sync.go
  void sync_status_only(manifest::Deployment& d, RSList& rss);
  void sync_scaled(manifest::Deployment& d, RSList& rss);
  void check_paused_conditions(manifest::Deployment& d);
  std::pair<RSPtr, RSList> all_replica_sets_and_sync_revision(manifest::Deployment& d, RSList& rss,
                                                              bool create);
  RSPtr new_replica_set(manifest::Deployment& d, RSList& rss, const RSList& old_rss, bool create);
  RSPtr create_new_replica_set(manifest::Deployment& d, const RSList& old_rss, const std::string& revision);
  void scale(manifest::Deployment& d, const RSPtr& new_rs, const RSList& old_rss);
  bool scale_replica_set_and_record_event(manifest::ReplicaSet& rs, int32_t new_scale,
                                          const manifest::Deployment& d);
  bool scale_replica_set(manifest::ReplicaSet& rs, int32_t new_scale, const manifest::Deployment& d);
  void cleanup_deployment(const RSList& old_rss, const manifest::Deployment& d);
  void sync_deployment_status(const RSList& all, const RSPtr& new_rs, manifest::Deployment& d);
  bool is_scaling_event(manifest::Deployment& d, RSList& rss);
  void update_status(manifest::Deployment& d);

  // rolling.go
  void rollout_rolling(manifest::Deployment& d, RSList& rss);
  bool reconcile_new_replica_set(const RSList& all, manifest::ReplicaSet& new_rs,
                                 const manifest::Deployment& d);
  bool reconcile_old_replica_sets(const RSList& all, RSList old_rss, const manifest::ReplicaSet& new_rs,
                                  const manifest::Deployment& d);
  int32_t cleanup_unhealthy_replicas(RSList& old_rss, const manifest::Deployment& d, int32_t max_cleanup);
  int32_t scale_down_old_replica_sets_for_rolling_update(const RSList& all, RSList old_rss,
                                                         const manifest::Deployment& d);

  // recreate.go
  void rollout_recreate(manifest::Deployment& d, RSList& rss, const PodMap& pods);
  bool scale_down_old_replica_sets_for_recreate(const RSList& old_rss, const manifest::Deployment& d);
  static bool old_pods_running(const RSPtr& new_rs, const RSList& old_rss, const PodMap& pods);

  // progress.go
  void sync_rollout_status(const RSList& all, const RSPtr& new_rs, manifest::Deployment& d);
  static std::vector<manifest::Condition> replica_failures(const RSList& all, const RSPtr& new_rs);
  void requeue_stuck_deployment(const manifest::Deployment& d, const manifest::DeploymentStatus& s);

  // rollback.go
  void rollback(manifest::Deployment& d, RSList& rss);
  bool rollback_to_template(manifest::Deployment& d, const manifest::ReplicaSet& rs);
  void update_deployment_and_clear_rollback_to(manifest::Deployment& d);
  void emit_event(const manifest::Deployment& d, std::string_view type, std::string_view reason,
                  const std::string& message);

  const ObjectCache& cache_;
  Client& client_;
  const Clock& clock_;
  Enqueue enqueue_;
  std::optional<std::chrono::milliseconds> requeue_after_;  // set by the sync in progress
};

// calculateStatus (sync.go): counts summed over the ReplicaSets, observedGeneration, the Available
// condition.
manifest::DeploymentStatus calculate_deployment_status(const RSList& all, const RSPtr& new_rs,
                                                       const manifest::Deployment& d, WallTime now);
// The revision a rollback was asked for (the annotation), nullopt when none or unparsable.
std::optional<int64_t> rollback_to(const manifest::Deployment& d);

}  // namespace skiff::controller
