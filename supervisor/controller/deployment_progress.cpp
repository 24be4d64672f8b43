// progress.go: the Progressing condition while a rollout runs, and a timer for the progress deadline.
#include "controller/deployment_controller.hpp"

namespace skiff::controller {

using manifest::Deployment;

void DeploymentController::sync_rollout_status(const RSList& all, const RSPtr& new_rs, Deployment& d) {
  WallTime now = clock_.wall();
  auto s = calculate_deployment_status(all, new_rs, d, now);
  if (!has_progress_deadline(d)) remove_deployment_condition(s, "Progressing");
  // One active ReplicaSet and a completed rollout: a resync, no progress to estimate.
  const auto* current = deployment_condition(d.status, "Progressing");
  bool complete = s.replicas == s.updated_replicas && current && current->reason == kNewRSAvailableReason;
  if (has_progress_deadline(d) && !complete) {
    std::string subject =
        new_rs ? "ReplicaSet \"" + new_rs->metadata.name + "\"" : "Deployment \"" + d.metadata.name + "\"";
    if (deployment_complete(d, s)) {
      set_deployment_condition(s, new_deployment_condition("Progressing", "True", kNewRSAvailableReason,
                                                           subject + " has successfully progressed.", now));
    } else if (deployment_progressing(d, s)) {
      // Progress refreshes lastUpdateTime even with the same reason (which set_deployment_condition would
      // keep as it is); the transition time stays while the status stays True.
      auto c = new_deployment_condition("Progressing", "True", kReplicaSetUpdatedReason,
                                        subject + " is progressing.", now);
      if (current) {
        if (current->status == "True") c.last_transition_time = current->last_transition_time;
        remove_deployment_condition(s, "Progressing");
      }
      set_deployment_condition(s, std::move(c));
    } else if (deployment_timed_out(d, s, now)) {
      set_deployment_condition(s, new_deployment_condition("Progressing", "False", kTimedOutReason,
                                                           subject + " has timed out progressing.", now));
    }
  }
  // The new ReplicaSet's failure wins over old ones'; only one is carried over.
  auto failures = replica_failures(all, new_rs);
  if (!failures.empty())
    set_deployment_condition(s, failures.front());
  else
    remove_deployment_condition(s, "ReplicaFailure");
  if (d.status == s) {
    requeue_stuck_deployment(d, s);
    return;
  }
  d.status = s;
  update_status(d);
}

std::vector<manifest::Condition> DeploymentController::replica_failures(const RSList& all,
                                                                        const RSPtr& new_rs) {
  std::vector<manifest::Condition> out;
  if (new_rs)
    for (const auto& c : new_rs->status.conditions)
      if (c.type == "ReplicaFailure") out.push_back(replica_set_to_deployment_condition(c));
  if (!out.empty()) return out;
  for (const auto& rs : all) {
    if (!rs) continue;
    for (const auto& c : rs->status.conditions)
      if (c.type == "ReplicaFailure") out.push_back(replica_set_to_deployment_condition(c));
  }
  return out;
}

void DeploymentController::requeue_stuck_deployment(const Deployment& d,
                                                    const manifest::DeploymentStatus& s) {
  const auto* current = deployment_condition(d.status, "Progressing");
  if (!has_progress_deadline(d) || !current) return;
  if (deployment_complete(d, s) || current->reason == kTimedOutReason) return;
  // No sign of progress: look again when the deadline would pass (plus a second against rounding).
  auto last = current->last_update_time ? parse_time(*current->last_update_time) : std::nullopt;
  auto after =
      last.value_or(WallTime{}) + std::chrono::seconds(*d.spec.progress_deadline_seconds) - clock_.wall();
  if (after < std::chrono::seconds(1)) {
    requeue_after_ = std::chrono::milliseconds(0);
    return;
  }
  requeue_after_ = std::chrono::duration_cast<std::chrono::milliseconds>(after + std::chrono::seconds(1));
}

}  // namespace skiff::controller
