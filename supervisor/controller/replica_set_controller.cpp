#include "controller/replica_set_controller.hpp"

#include <algorithm>

#include "controller/active_pods.hpp"
#include "controller/claim.hpp"
#include "controller/pod_util.hpp"
#include "manifest/label_selector.hpp"

namespace skiff::controller {
namespace {

using manifest::Pod;
using manifest::ReplicaSet;

// A missing selector selects nothing (LabelSelectorAsSelector(nil) is labels.Nothing()).
bool selects(const ReplicaSet& rs, const manifest::LabelMap& labels) {
  return rs.spec.selector && manifest::selector_matches(*rs.spec.selector, labels);
}

std::pair<std::string, std::string> split_key(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

const manifest::Condition* rs_condition(const manifest::ReplicaSetStatus& s, std::string_view type) {
  for (const auto& c : s.conditions)
    if (c.type == type) return &c;
  return nullptr;
}

void remove_rs_condition(manifest::ReplicaSetStatus& s, std::string_view type) {
  std::erase_if(s.conditions, [&](const manifest::Condition& c) { return c.type == type; });
}

// Status as updateReplicaSetStatus compares it: the counts, the conditions and observedGeneration.
bool same_status(const manifest::ReplicaSet& rs, const manifest::ReplicaSetStatus& s) {
  const auto& o = rs.status;
  return o.replicas == s.replicas && o.fully_labeled_replicas == s.fully_labeled_replicas &&
         o.ready_replicas == s.ready_replicas && o.available_replicas == s.available_replicas &&
         rs.metadata.generation == o.observed_generation && o.conditions == s.conditions;
}

int32_t replicas_of(const ReplicaSet& rs) {
  return rs.spec.replicas.value_or(1);
}

}  // namespace

manifest::Pod pod_from_template(const manifest::PodTemplateSpec& tmpl, const manifest::ObjectMeta& owner,
                                const manifest::OwnerReference& controller_ref) {
  Pod pod;
  pod.metadata.labels = tmpl.metadata.labels;
  pod.metadata.annotations = tmpl.metadata.annotations;
  pod.metadata.finalizers = tmpl.metadata.finalizers;
  pod.metadata.namespace_ = owner.namespace_;
  pod.metadata.generate_name = owner.name + "-";
  pod.metadata.owner_references.push_back(controller_ref);
  pod.spec = tmpl.spec;
  return pod;
}

manifest::ReplicaSetStatus calculate_replica_set_status(const ReplicaSet& rs,
                                                        const std::vector<Ptr<Pod>>& pods,
                                                        const std::string& manage_error, WallTime now) {
  manifest::ReplicaSetStatus s = rs.status;
  int32_t fully_labeled = 0, ready = 0, available = 0;
  for (const auto& p : pods) {
    bool labeled = std::all_of(rs.spec.template_.metadata.labels.begin(),
                               rs.spec.template_.metadata.labels.end(), [&](const auto& kv) {
                                 auto it = p->metadata.labels.find(kv.first);
                                 return it != p->metadata.labels.end() && it->second == kv.second;
                               });
    if (labeled) ++fully_labeled;
    if (is_pod_ready(*p)) {
      ++ready;
      if (is_pod_available(*p, rs.spec.min_ready_seconds, now)) ++available;
    }
  }
  const manifest::Condition* failure = rs_condition(rs.status, "ReplicaFailure");
  if (!manage_error.empty() && !failure) {
    int64_t diff = static_cast<int64_t>(pods.size()) - replicas_of(rs);
    manifest::Condition c;
    c.type = "ReplicaFailure";
    c.status = "True";
    c.reason = diff < 0 ? "FailedCreate" : diff > 0 ? "FailedDelete" : "";
    c.message = manage_error;
    c.last_transition_time = to_time(now);
    remove_rs_condition(s, c.type);
    s.conditions.push_back(std::move(c));
  } else if (manage_error.empty() && failure) {
    remove_rs_condition(s, "ReplicaFailure");
  }
  s.replicas = static_cast<int32_t>(pods.size());
  s.fully_labeled_replicas = fully_labeled;
  s.ready_replicas = ready;
  s.available_replicas = available;
  return s;
}

ReplicaSetController::ReplicaSetController(const ObjectCache& cache, Client& client, const Clock& clock,
                                           Enqueue enqueue, ReplicaSetControllerOptions opts)
    : cache_(cache), client_(client), clock_(clock), enqueue_(std::move(enqueue)), opts_(opts) {}

SyncResult ReplicaSetController::sync(const std::string& key) {
  auto [ns, name] = split_key(key);
  auto rs = cache_.get<ReplicaSet>(ns, name);
  if (!rs) {
    expectations_.forget(key);
    return {};
  }
  bool needs_sync = expectations_.satisfied(key, clock_.steady());
  if (!rs->spec.selector) return {};  // invalid: it selects nothing and there is nothing to retry

  SyncResult result;
  try {
    std::vector<Ptr<Pod>> active;
    for (auto& p : cache_.list<Pod>(ns))
      if (is_pod_active(*p)) active.push_back(p);
    auto pods = claim_pods(*rs, active);
    if (needs_sync && !rs->metadata.deletion_timestamp) result.error = manage_replicas(pods, *rs);

    WallTime now = clock_.wall();
    auto status = calculate_replica_set_status(*rs, pods, result.error, now);
    ReplicaSet updated = *rs;
    if (!same_status(*rs, status)) {
      status.observed_generation = rs->metadata.generation;
      updated.status = status;
      // Only this controller writes a ReplicaSet's status: no resourceVersion precondition (upstream
      // retries a conflict once with a fresh copy, which comes to the same).
      updated.metadata.resource_version.clear();
      updated = client_.update_status_typed(updated, false);
    }
    // Pods that are ready but not yet available become available without an event: look again then.
    int32_t want = replicas_of(updated);
    if (result.ok() && updated.spec.min_ready_seconds > 0 && updated.status.ready_replicas == want &&
        updated.status.available_replicas != want)
      result.requeue_after = std::chrono::seconds(updated.spec.min_ready_seconds);
  } catch (const ClientError& e) {
    result.error = e.what();
  }
  return result;
}

std::vector<Ptr<Pod>> ReplicaSetController::claim_pods(const ReplicaSet& rs,
                                                       const std::vector<Ptr<Pod>>& pods) {
  std::vector<Ptr<Pod>> claimed;
  Owner owner{rs.metadata, "apps/v1", "ReplicaSet"};
  for (const auto& p : pods)
    if (claim_object(owner, "Pod", p->metadata, selects(rs, p->metadata.labels), client_))
      claimed.push_back(p);
  return claimed;
}

std::string ReplicaSetController::manage_replicas(const std::vector<Ptr<Pod>>& pods, const ReplicaSet& rs) {
  std::string key = key_of(rs.metadata);
  int64_t diff = static_cast<int64_t>(pods.size()) - replicas_of(rs);
  if (diff < 0) return create_pods(rs, key, static_cast<int>(std::min<int64_t>(-diff, opts_.burst_replicas)));
  if (diff > 0)
    return delete_pods(pods, rs, key, static_cast<int>(std::min<int64_t>(diff, opts_.burst_replicas)));
  return {};
}

std::string ReplicaSetController::create_pods(const ReplicaSet& rs, const std::string& key, int count) {
  expectations_.expect_creations(key, count, clock_.steady());
  auto ref = new_controller_ref(rs.metadata, "apps/v1", "ReplicaSet");
  Pod pod = pod_from_template(rs.spec.template_, rs.metadata, ref);
  ObjectRef involved = ref_of(rs);
  // slowStartBatch: batches of 1, 2, 4, ...; every call of a batch is made, and a batch with a failure
  // ends the run.
  int successes = 0, remaining = count;
  std::string first_error;
  for (int batch = std::min(remaining, 1); batch > 0; batch = std::min(2 * batch, remaining)) {
    int failures = 0;
    for (int i = 0; i < batch; ++i) {
      try {
        if (pod.metadata.labels.empty())
          throw ClientError(ErrorReason::kInvalid, "unable to create pods, no labels");
        Pod created = client_.create_typed(pod);
        client_.record_event(involved, "Normal", "SuccessfulCreate", "Created pod: " + created.metadata.name);
        ++successes;
      } catch (const ClientError& e) {
        // A namespace being deleted refuses every create; that is no failure of this ReplicaSet.
        if (e.reason() == ErrorReason::kNamespaceTerminating) {
          ++successes;
          continue;
        }
        client_.record_event(involved, "Warning", "FailedCreate", std::string("Error creating: ") + e.what());
        if (first_error.empty()) first_error = e.what();
        ++failures;
      }
    }
    if (failures > 0) break;
    remaining -= batch;
  }
  // The ones never created will never be observed.
  if (int skipped = count - successes; skipped > 0) expectations_.lower_creations(key, skipped);
  return first_error;
}

std::string ReplicaSetController::delete_pods(const std::vector<Ptr<Pod>>& pods, const ReplicaSet& rs,
                                              const std::string& key, int count) {
  auto victims = pods_to_delete(pods, indirectly_related_pods(rs), static_cast<size_t>(count), clock_.wall());
  std::vector<std::string> keys;
  for (const auto& p : victims) keys.push_back(key_of(p->metadata));
  expectations_.expect_deletions(key, keys, clock_.steady());
  ObjectRef involved = ref_of(rs);
  std::string first_error;
  for (const auto& p : victims) {
    try {
      client_.remove("Pod", p->metadata.namespace_, p->metadata.name);
      client_.record_event(involved, "Normal", "SuccessfulDelete", "Deleted pod: " + p->metadata.name);
    } catch (const ClientError& e) {
      // This deletion will not be observed.
      expectations_.deletion_observed(key, key_of(p->metadata));
      if (is_not_found(e)) continue;
      client_.record_event(involved, "Warning", "FailedDelete", std::string("Error deleting: ") + e.what());
      if (first_error.empty()) first_error = e.what();
    }
  }
  return first_error;
}

// Every pod of every ReplicaSet that has the same controller as `rs` (each pod once).
std::vector<Ptr<Pod>> ReplicaSetController::indirectly_related_pods(const ReplicaSet& rs) const {
  std::vector<Ptr<Pod>> out;
  const auto* owner = controller_of(rs.metadata);
  if (!owner) return out;
  std::vector<std::string> seen;
  auto pods = cache_.list<Pod>(rs.metadata.namespace_);
  for (const auto& other : cache_.list<ReplicaSet>(rs.metadata.namespace_)) {
    const auto* ref = controller_of(other->metadata);
    if (!ref || ref->uid != owner->uid) continue;
    for (const auto& p : pods) {
      if (!selects(*other, p->metadata.labels)) continue;
      if (std::find(seen.begin(), seen.end(), p->metadata.uid) != seen.end()) continue;
      seen.push_back(p->metadata.uid);
      out.push_back(p);
    }
  }
  return out;
}

Ptr<ReplicaSet> ReplicaSetController::resolve_controller_ref(const std::string& ns,
                                                             const manifest::OwnerReference& ref) const {
  if (ref.kind != "ReplicaSet") return nullptr;
  auto rs = cache_.get<ReplicaSet>(ns, ref.name);
  if (!rs || rs->metadata.uid != ref.uid) return nullptr;
  return rs;
}

std::vector<Ptr<ReplicaSet>> ReplicaSetController::pod_replica_sets(const Pod& pod) const {
  std::vector<Ptr<ReplicaSet>> out;
  if (pod.metadata.labels.empty()) return out;
  for (const auto& rs : cache_.list<ReplicaSet>(pod.metadata.namespace_))
    if (rs->spec.selector && !rs->spec.selector->empty() && selects(*rs, pod.metadata.labels))
      out.push_back(rs);
  return out;
}

void ReplicaSetController::enqueue(const manifest::ObjectMeta& rs, std::chrono::milliseconds delay) {
  enqueue_(key_of(rs), delay);
}

void ReplicaSetController::replica_set_added(const ReplicaSet& rs) {
  enqueue(rs.metadata);
}

void ReplicaSetController::replica_set_updated(const ReplicaSet& old_rs, const ReplicaSet& rs) {
  if (old_rs.metadata.uid != rs.metadata.uid) replica_set_deleted(old_rs);
  enqueue(rs.metadata);
}

void ReplicaSetController::replica_set_deleted(const ReplicaSet& rs) {
  expectations_.forget(key_of(rs.metadata));
  enqueue(rs.metadata);
}

void ReplicaSetController::pod_added(const Pod& pod) {
  if (pod.metadata.deletion_timestamp) {
    // A pod that shows up already being deleted (after a restart of the watch): a deletion to count.
    pod_deleted(pod);
    return;
  }
  if (const auto* ref = controller_of(pod.metadata)) {
    auto rs = resolve_controller_ref(pod.metadata.namespace_, *ref);
    if (!rs) return;
    expectations_.creation_observed(key_of(rs->metadata));
    enqueue(rs->metadata);
    return;
  }
  // An orphan: every ReplicaSet that matches it may want to adopt it.
  for (const auto& rs : pod_replica_sets(pod)) enqueue(rs->metadata);
}

void ReplicaSetController::pod_updated(const Pod& old_pod, const Pod& pod) {
  if (pod.metadata.resource_version == old_pod.metadata.resource_version) return;
  bool labels_changed = pod.metadata.labels != old_pod.metadata.labels;
  if (pod.metadata.deletion_timestamp) {
    pod_deleted(pod);
    if (labels_changed) pod_deleted(old_pod);
    return;
  }
  const auto* cur_ref = controller_of(pod.metadata);
  const auto* old_ref = controller_of(old_pod.metadata);
  bool ref_changed = (cur_ref == nullptr) != (old_ref == nullptr) || (cur_ref && !(*cur_ref == *old_ref));
  if (ref_changed && old_ref)
    if (auto rs = resolve_controller_ref(old_pod.metadata.namespace_, *old_ref)) enqueue(rs->metadata);
  if (cur_ref) {
    auto rs = resolve_controller_ref(pod.metadata.namespace_, *cur_ref);
    if (!rs) return;
    enqueue(rs->metadata);
    // A pod that just became ready becomes available minReadySeconds later, with no event of its own.
    if (!is_pod_ready(old_pod) && is_pod_ready(pod) && rs->spec.min_ready_seconds > 0)
      enqueue(rs->metadata, std::chrono::seconds(rs->spec.min_ready_seconds));
    return;
  }
  if (labels_changed || ref_changed)
    for (const auto& rs : pod_replica_sets(pod)) enqueue(rs->metadata);
}

void ReplicaSetController::pod_deleted(const Pod& pod) {
  const auto* ref = controller_of(pod.metadata);
  if (!ref) return;
  auto rs = resolve_controller_ref(pod.metadata.namespace_, *ref);
  if (!rs) return;
  std::string key = key_of(rs->metadata);
  expectations_.deletion_observed(key, key_of(pod.metadata));
  enqueue(rs->metadata);
}

}  // namespace skiff::controller
