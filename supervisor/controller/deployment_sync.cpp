// sync.go: scaling without a rollout, the new ReplicaSet and its revision, history cleanup, status.
#include <algorithm>
#include <map>

#include "controller/deployment_controller.hpp"
#include "controller/pod_util.hpp"
#include "manifest/hash.hpp"

namespace skiff::controller {

using manifest::Deployment;
using manifest::ReplicaSet;

void DeploymentController::sync_status_only(Deployment& d, RSList& rss) {
  auto [new_rs, old_rss] = all_replica_sets_and_sync_revision(d, rss, false);
  RSList all = old_rss;
  all.push_back(new_rs);
  sync_deployment_status(all, new_rs, d);
}

void DeploymentController::sync_scaled(Deployment& d, RSList& rss) {
  auto [new_rs, old_rss] = all_replica_sets_and_sync_revision(d, rss, false);
  scale(d, new_rs, old_rss);
  // A paused Deployment with no rollback under way is a good moment to prune history.
  if (d.spec.paused && !rollback_to(d)) cleanup_deployment(old_rss, d);
  RSList all = old_rss;
  all.push_back(new_rs);
  sync_deployment_status(all, new_rs, d);
}

void DeploymentController::check_paused_conditions(Deployment& d) {
  if (!has_progress_deadline(d)) return;
  const auto* cond = deployment_condition(d.status, "Progressing");
  // A reported lack of progress is not overwritten by a paused condition.
  if (cond && cond->reason == kTimedOutReason) return;
  bool paused_cond = cond && cond->reason == kPausedDeployReason;
  WallTime now = clock_.wall();
  if (d.spec.paused && !paused_cond) {
    set_deployment_condition(d.status, new_deployment_condition("Progressing", "Unknown", kPausedDeployReason,
                                                                "Deployment is paused", now));
  } else if (!d.spec.paused && paused_cond) {
    set_deployment_condition(d.status,
                             new_deployment_condition("Progressing", "Unknown", kResumedDeployReason,
                                                      "Deployment is resumed", now));
  } else {
    return;
  }
  update_status(d);
}

std::pair<RSPtr, RSList> DeploymentController::all_replica_sets_and_sync_revision(Deployment& d, RSList& rss,
                                                                                  bool create) {
  auto [old_with_replicas, all_old] = find_old_replica_sets(d, rss);
  RSPtr new_rs = new_replica_set(d, rss, all_old, create);
  return {new_rs, all_old};
}

RSPtr DeploymentController::new_replica_set(Deployment& d, RSList& rss, const RSList& old_rss, bool create) {
  RSPtr existing = find_new_replica_set(d, rss);
  std::string new_revision = std::to_string(max_revision(old_rss) + 1);
  if (existing) {
    // Bring the new ReplicaSet's annotations (revision, the Deployment's own) and minReadySeconds up to
    // date; then the Deployment's revision follows the ReplicaSet's.
    ReplicaSet copy = *existing;
    bool annotations_updated = set_new_replica_set_annotations(d, copy, new_revision, true);
    if (annotations_updated || copy.spec.min_ready_seconds != d.spec.min_ready_seconds) {
      copy.spec.min_ready_seconds = d.spec.min_ready_seconds;
      *existing = client_.update_typed(copy);
      return existing;
    }
    bool needs_update =
        set_deployment_revision(d, copy.metadata.annotations[std::string(kRevisionAnnotation)]);
    // A Deployment that never reported progress and now has a deadline starts counting from here.
    if (has_progress_deadline(d) && !deployment_condition(d.status, "Progressing")) {
      set_deployment_condition(
          d.status,
          new_deployment_condition("Progressing", "True", kFoundNewRSReason,
                                   "Found new replica set \"" + copy.metadata.name + "\"", clock_.wall()));
      needs_update = true;
    }
    if (needs_update) update_status(d);
    return existing;
  }
  if (!create) return nullptr;
  return create_new_replica_set(d, old_rss, new_revision);
}

RSPtr DeploymentController::create_new_replica_set(Deployment& d, const RSList& old_rss,
                                                   const std::string& new_revision) {
  manifest::PodTemplateSpec tmpl = d.spec.template_;
  std::string hash = manifest::pod_template_hash(d.spec.template_, d.status.collision_count);
  tmpl.metadata.labels[std::string(kPodTemplateHashLabel)] = hash;
  auto rs = std::make_shared<ReplicaSet>();
  // A deterministic name makes the create idempotent.
  rs->metadata.name = d.metadata.name + "-" + hash;
  rs->metadata.namespace_ = d.metadata.namespace_;
  rs->metadata.owner_references.push_back(new_controller_ref(d.metadata, "apps/v1", "Deployment"));
  rs->metadata.labels = tmpl.metadata.labels;
  rs->spec.replicas = 0;
  rs->spec.min_ready_seconds = d.spec.min_ready_seconds;
  rs->spec.selector = d.spec.selector.value_or(manifest::LabelSelector{});
  rs->spec.selector->match_labels[std::string(kPodTemplateHashLabel)] = hash;
  rs->spec.template_ = tmpl;
  RSList all = old_rss;
  all.push_back(rs);
  int32_t count = new_rs_new_replicas(d, all, *rs);
  rs->spec.replicas = count;
  set_new_replica_set_annotations(d, *rs, new_revision, false);

  bool already_exists = false;
  RSPtr created;
  try {
    created = std::make_shared<ReplicaSet>(client_.create_typed(*rs));
  } catch (const ClientError& e) {
    if (e.reason() == ErrorReason::kAlreadyExists) {
      already_exists = true;
      auto found = cache_.get<ReplicaSet>(rs->metadata.namespace_, rs->metadata.name);
      if (!found) throw;
      // Ours, with our template: it is the new ReplicaSet (a slow cache). Otherwise a hash collision:
      // count it, so the next sync hashes differently.
      const auto* ref = controller_of(found->metadata);
      if (ref && ref->uid == d.metadata.uid && equal_ignore_hash(d.spec.template_, found->spec.template_)) {
        created = std::make_shared<ReplicaSet>(*found);
      } else {
        d.status.collision_count = d.status.collision_count.value_or(0) + 1;
        update_status(d);
        throw;
      }
    } else if (e.reason() == ErrorReason::kNamespaceTerminating) {
      throw;
    } else {
      std::string msg = "Failed to create new replica set \"" + rs->metadata.name + "\": " + e.what();
      if (has_progress_deadline(d)) {
        set_deployment_condition(
            d.status,
            new_deployment_condition("Progressing", "False", kFailedRSCreateReason, msg, clock_.wall()));
        try {
          update_status(d);
        } catch (const ClientError&) {
          // The bigger problem is reported below.
        }
      }
      emit_event(d, "Warning", kFailedRSCreateReason, msg);
      throw;
    }
  }
  if (!already_exists && count > 0)
    emit_event(d, "Normal", "ScalingReplicaSet",
               "Scaled up replica set " + created->metadata.name + " from 0 to " + std::to_string(count));
  bool needs_update = set_deployment_revision(d, new_revision);
  if (!already_exists && has_progress_deadline(d)) {
    set_deployment_condition(
        d.status, new_deployment_condition("Progressing", "True", kNewReplicaSetReason,
                                           "Created new replica set \"" + created->metadata.name + "\"",
                                           clock_.wall()));
    needs_update = true;
  }
  if (needs_update) update_status(d);
  return created;
}

void DeploymentController::scale(Deployment& d, const RSPtr& new_rs, const RSList& old_rss) {
  // One active ReplicaSet (or none: then the newest) takes the whole count.
  if (RSPtr target = find_active_or_latest(new_rs, old_rss)) {
    if (replicas_of(*target) == replicas_of(d)) return;
    scale_replica_set_and_record_event(*target, replicas_of(d), d);
    return;
  }
  // A saturated new ReplicaSet: the old ones go to zero.
  if (is_saturated(d, new_rs.get())) {
    for (const auto& old : filter_active(old_rss)) scale_replica_set_and_record_event(*old, 0, d);
    return;
  }
  if (!is_rolling_update(d)) return;
  // Several active ReplicaSets in a rolling update: share the change out in proportion to their sizes, so
  // that a scaling event neither hastens nor holds back the rollout.
  RSList candidates = old_rss;
  candidates.push_back(new_rs);
  RSList all = filter_active(candidates);
  int32_t all_replicas = replica_count(all);
  int32_t allowed = replicas_of(d) > 0 ? replicas_of(d) + max_surge(d) : 0;
  int32_t to_add = allowed - all_replicas;
  // Equal sizes: scaling up favours newer ReplicaSets, scaling down older ones.
  if (to_add > 0) sort_by_size_newer(all);
  if (to_add < 0) sort_by_size_older(all);
  int32_t added = 0;
  std::map<std::string, int32_t> size;
  for (const auto& rs : all) {
    if (to_add != 0) {
      int32_t proportion = get_proportion(rs.get(), d, to_add, added);
      size[rs->metadata.name] = replicas_of(*rs) + proportion;
      added += proportion;
    } else {
      size[rs->metadata.name] = replicas_of(*rs);
    }
  }
  for (size_t i = 0; i < all.size(); ++i) {
    auto& rs = *all[i];
    // Leftovers go to the largest.
    if (i == 0 && to_add != 0) size[rs.metadata.name] = std::max(0, size[rs.metadata.name] + to_add - added);
    scale_replica_set(rs, size[rs.metadata.name], d);
  }
}

bool DeploymentController::scale_replica_set_and_record_event(ReplicaSet& rs, int32_t new_scale,
                                                              const Deployment& d) {
  if (replicas_of(rs) == new_scale) return false;
  return scale_replica_set(rs, new_scale, d);
}

bool DeploymentController::scale_replica_set(ReplicaSet& rs, int32_t new_scale, const Deployment& d) {
  bool size_needs_update = replicas_of(rs) != new_scale;
  int32_t desired = replicas_of(d), max = replicas_of(d) + max_surge(d);
  if (!size_needs_update && !replicas_annotations_need_update(rs, desired, max)) return false;
  int32_t old_scale = replicas_of(rs);
  ReplicaSet copy = rs;
  copy.spec.replicas = new_scale;
  set_replicas_annotations(copy, desired, max);
  rs = client_.update_typed(copy);
  if (!size_needs_update) return false;
  emit_event(d, "Normal", "ScalingReplicaSet",
             std::string("Scaled ") + (old_scale < new_scale ? "up" : "down") + " replica set " +
                 rs.metadata.name + " from " + std::to_string(old_scale) + " to " +
                 std::to_string(new_scale));
  return true;
}

void DeploymentController::cleanup_deployment(const RSList& old_rss, const Deployment& d) {
  if (!has_revision_history_limit(d)) return;
  RSList cleanable;
  for (const auto& rs : old_rss)
    if (rs && !rs->metadata.deletion_timestamp) cleanable.push_back(rs);
  int64_t diff = static_cast<int64_t>(cleanable.size()) - *d.spec.revision_history_limit;
  if (diff <= 0) return;
  sort_by_revision(cleanable);
  for (int64_t i = 0; i < diff; ++i) {
    const auto& rs = *cleanable[static_cast<size_t>(i)];
    // Only ReplicaSets with no pods, scaled to zero, whose controller has caught up.
    if (rs.status.replicas != 0 || replicas_of(rs) != 0 ||
        rs.metadata.generation > rs.status.observed_generation || rs.metadata.deletion_timestamp)
      continue;
    try {
      client_.remove("ReplicaSet", rs.metadata.namespace_, rs.metadata.name);
    } catch (const ClientError& e) {
      if (!is_not_found(e)) throw;
    }
  }
}

manifest::DeploymentStatus calculate_deployment_status(const RSList& all, const RSPtr& new_rs,
                                                       const Deployment& d, WallTime now) {
  int32_t available = available_replica_count(all);
  int32_t total = replica_count(all);
  manifest::DeploymentStatus s;
  s.observed_generation = d.metadata.generation;
  s.replicas = actual_replica_count(all);
  s.updated_replicas = actual_replica_count(RSList{new_rs});
  s.ready_replicas = ready_replica_count(all);
  s.available_replicas = available;
  // More available than desired (a scale-down under way) is no unavailability.
  s.unavailable_replicas = std::max(0, total - available);
  s.collision_count = d.status.collision_count;
  s.conditions = d.status.conditions;
  if (available >= replicas_of(d) - max_unavailable(d)) {
    set_deployment_condition(s, new_deployment_condition("Available", "True", kMinimumReplicasAvailable,
                                                         "Deployment has minimum availability.", now));
  } else {
    set_deployment_condition(s,
                             new_deployment_condition("Available", "False", kMinimumReplicasUnavailable,
                                                      "Deployment does not have minimum availability.", now));
  }
  return s;
}

void DeploymentController::sync_deployment_status(const RSList& all, const RSPtr& new_rs, Deployment& d) {
  auto s = calculate_deployment_status(all, new_rs, d, clock_.wall());
  if (d.status == s) return;
  d.status = s;
  update_status(d);
}

bool DeploymentController::is_scaling_event(Deployment& d, RSList& rss) {
  auto [new_rs, old_rss] = all_replica_sets_and_sync_revision(d, rss, false);
  RSList all = old_rss;
  all.push_back(new_rs);
  for (const auto& rs : filter_active(all)) {
    auto desired = desired_replicas_annotation(*rs);
    if (desired && *desired != replicas_of(d)) return true;
  }
  return false;
}

}  // namespace skiff::controller
