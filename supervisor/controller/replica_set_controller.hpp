// The ReplicaSet controller (pkg/controller/replicaset/replica_set.go): keeps `spec.replicas` pods that
// match the selector alive. A sync claims pods (adopts matching orphans, releases owned pods that stopped
// matching), creates missing pods from the template in slow-start batches (1, 2, 4, ... so a template
// that cannot run fails once, not N times), deletes surplus pods in controller.ActivePods order, and
// writes status (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration,
// the ReplicaFailure condition). Pods are named `<rs>-<5 random chars>` by the store's generateName.
// Expectations keep a sync from acting again before the cache has seen its own creates and deletes.
#pragma once

#include <string>

#include "controller/client.hpp"
#include "controller/clock.hpp"
#include "controller/expectations.hpp"
#include "controller/object_cache.hpp"
#include "controller/sync_result.hpp"

namespace skiff::controller {

struct ReplicaSetControllerOptions {
  int burst_replicas = 500;  // replicaset.BurstReplicas: at most this many creates or deletes per sync
};

class ReplicaSetController {
 public:
  ReplicaSetController(const ObjectCache& cache, Client& client, const Clock& clock, Enqueue enqueue,
                       ReplicaSetControllerOptions opts = {});

  // Syncs the ReplicaSet "namespace/name".
  SyncResult sync(const std::string& key);

  // The informer's handlers: they keep the expectations and queue the ReplicaSets concerned. Called after
  // the cache has been updated with the change.
  void replica_set_added(const manifest::ReplicaSet& rs);
  void replica_set_updated(const manifest::ReplicaSet& old_rs, const manifest::ReplicaSet& rs);
  void replica_set_deleted(const manifest::ReplicaSet& rs);
  void pod_added(const manifest::Pod& pod);
  void pod_updated(const manifest::Pod& old_pod, const manifest::Pod& pod);
  void pod_deleted(const manifest::Pod& pod);

  Expectations& expectations() { return expectations_; }

 private:
  std::vector<Ptr<manifest::Pod>> claim_pods(const manifest::ReplicaSet& rs,
                                             const std::vector<Ptr<manifest::Pod>>& pods);
  // Returns the first error (empty when all went well).
  std::string manage_replicas(const std::vector<Ptr<manifest::Pod>>& pods, const manifest::ReplicaSet& rs);
  std::string create_pods(const manifest::ReplicaSet& rs, const std::string& key, int count);
  std::string delete_pods(const std::vector<Ptr<manifest::Pod>>& pods, const manifest::ReplicaSet& rs,
                          const std::string& key, int count);
  std::vector<Ptr<manifest::Pod>> indirectly_related_pods(const manifest::ReplicaSet& rs) const;
  Ptr<manifest::ReplicaSet> resolve_controller_ref(const std::string& ns,
                                                   const manifest::OwnerReference& ref) const;
  std::vector<Ptr<manifest::ReplicaSet>> pod_replica_sets(const manifest::Pod& pod) const;
  void enqueue(const manifest::ObjectMeta& rs, std::chrono::milliseconds delay = {});

  const ObjectCache& cache_;
  Client& client_;
  const Clock& clock_;
  Enqueue enqueue_;
  ReplicaSetControllerOptions opts_;
  Expectations expectations_;
};

// calculateStatus (replica_set_utils.go): the counts over `pods` (the claimed, active ones) and the
// ReplicaFailure condition from the manage error. observedGeneration is left as it was.
manifest::ReplicaSetStatus calculate_replica_set_status(const manifest::ReplicaSet& rs,
                                                        const std::vector<Ptr<manifest::Pod>>& pods,
                                                        const std::string& manage_error, WallTime now);

// GetPodFromTemplate: the pod a controller creates from `tmpl` (labels, annotations, finalizers and spec
// of the template; generateName `<owner>-`; the controller reference).
manifest::Pod pod_from_template(const manifest::PodTemplateSpec& tmpl, const manifest::ObjectMeta& owner,
                                const manifest::OwnerReference& controller_ref);

}  // namespace skiff::controller
