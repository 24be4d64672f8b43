// pkg/controller/deployment/util/deployment_util.go and the ReplicaSet helpers of pkg/controller that the
// Deployment controller uses: revisions and the annotations that carry them, conditions, the maxSurge /
// maxUnavailable fenceposts, proportional scaling, which ReplicaSet is new and which are old, and when a
// rollout is complete, progressing or timed out.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/time_util.hpp"
#include "manifest/object.hpp"

namespace skiff::controller {

// Mutable copies of a Deployment's ReplicaSets for the length of one sync (updates land in place).
using RSPtr = std::shared_ptr<manifest::ReplicaSet>;
using RSList = std::vector<RSPtr>;

inline constexpr std::string_view kRevisionAnnotation = "deployment.kubernetes.io/revision";
inline constexpr std::string_view kRevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history";
inline constexpr std::string_view kDesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas";
inline constexpr std::string_view kMaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";
inline constexpr std::string_view kRollbackToAnnotation = "deprecated.deployment.rollback.to";
inline constexpr std::string_view kLastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";
inline constexpr std::string_view kChangeCauseAnnotation = "kubernetes.io/change-cause";
// sync.go: the revision-history annotation is kept under this many characters.
inline constexpr size_t kMaxRevHistoryLengthInChars = 2000;

// Condition reasons, word for word.
inline constexpr std::string_view kReplicaSetUpdatedReason = "ReplicaSetUpdated";
inline constexpr std::string_view kFailedRSCreateReason = "ReplicaSetCreateError";
inline constexpr std::string_view kNewReplicaSetReason = "NewReplicaSetCreated";
inline constexpr std::string_view kFoundNewRSReason = "FoundNewReplicaSet";
inline constexpr std::string_view kNewRSAvailableReason = "NewReplicaSetAvailable";
inline constexpr std::string_view kTimedOutReason = "ProgressDeadlineExceeded";
inline constexpr std::string_view kPausedDeployReason = "DeploymentPaused";
inline constexpr std::string_view kResumedDeployReason = "DeploymentResumed";
inline constexpr std::string_view kMinimumReplicasAvailable = "MinimumReplicasAvailable";
inline constexpr std::string_view kMinimumReplicasUnavailable = "MinimumReplicasUnavailable";
inline constexpr std::string_view kRollbackRevisionNotFound = "DeploymentRollbackRevisionNotFound";
inline constexpr std::string_view kRollbackTemplateUnchanged = "DeploymentRollbackTemplateUnchanged";
inline constexpr std::string_view kRollbackDone = "DeploymentRollback";

int32_t replicas_of(const manifest::Deployment& d);
int32_t replicas_of(const manifest::ReplicaSet& rs);

// --- conditions ---
manifest::Condition new_deployment_condition(std::string_view type, std::string_view status,
                                             std::string_view reason, std::string message, WallTime now);
const manifest::Condition* deployment_condition(const manifest::DeploymentStatus& s, std::string_view type);
// Adds or replaces; a condition with the same status and reason is left as it is, and the transition
// time is kept when only the reason changes.
void set_deployment_condition(manifest::DeploymentStatus& s, manifest::Condition c);
void remove_deployment_condition(manifest::DeploymentStatus& s, std::string_view type);
manifest::Condition replica_set_to_deployment_condition(const manifest::Condition& c);

// --- revisions and annotations ---
// The revision annotation as a number: 0 when absent, nullopt when unparsable.
std::optional<int64_t> revision_of(const manifest::ObjectMeta& m);
int64_t max_revision(const RSList& rss);
int64_t last_revision(const RSList& rss);  // the second highest
bool set_deployment_revision(manifest::Deployment& d, const std::string& revision);
bool set_new_replica_set_annotations(const manifest::Deployment& d, manifest::ReplicaSet& rs,
                                     const std::string& new_revision, bool exists,
                                     size_t rev_history_limit_chars = kMaxRevHistoryLengthInChars);
// The annotations a rollback takes from the ReplicaSet (all but the controller's own).
void set_deployment_annotations_to(manifest::Deployment& d, const manifest::ReplicaSet& rs);
std::optional<int32_t> desired_replicas_annotation(const manifest::ReplicaSet& rs);
std::optional<int32_t> max_replicas_annotation(const manifest::ReplicaSet& rs);
bool set_replicas_annotations(manifest::ReplicaSet& rs, int32_t desired, int32_t max);
bool replicas_annotations_need_update(const manifest::ReplicaSet& rs, int32_t desired, int32_t max);

// --- fenceposts and scaling ---
bool is_rolling_update(const manifest::Deployment& d);
// maxSurge rounded up, maxUnavailable rounded down, both 0 -> unavailable 1. Throws on a bad percent.
std::pair<int32_t, int32_t> resolve_fenceposts(const std::optional<manifest::IntOrString>& max_surge,
                                               const std::optional<manifest::IntOrString>& max_unavailable,
                                               int32_t desired);
int32_t max_unavailable(const manifest::Deployment& d);
int32_t max_surge(const manifest::Deployment& d);
int32_t get_proportion(const manifest::ReplicaSet* rs, const manifest::Deployment& d, int32_t to_add,
                       int32_t added);
// NewRSNewReplicas: how big the new ReplicaSet may be now. Throws for an unknown strategy.
int32_t new_rs_new_replicas(const manifest::Deployment& d, const RSList& all,
                            const manifest::ReplicaSet& new_rs);
bool is_saturated(const manifest::Deployment& d, const manifest::ReplicaSet* rs);
bool has_progress_deadline(const manifest::Deployment& d);
bool has_revision_history_limit(const manifest::Deployment& d);

// --- new and old ---
// Equal templates, ignoring the pod-template-hash label.
bool equal_ignore_hash(const manifest::PodTemplateSpec& a, const manifest::PodTemplateSpec& b);
// The oldest ReplicaSet whose template is the Deployment's (sorts `rss` by creation, as upstream does).
RSPtr find_new_replica_set(const manifest::Deployment& d, RSList& rss);
// (old ReplicaSets with replicas, every old ReplicaSet).
std::pair<RSList, RSList> find_old_replica_sets(const manifest::Deployment& d, RSList& rss);
RSPtr find_active_or_latest(const RSPtr& new_rs, RSList old_rss);
void set_from_replica_set_template(manifest::Deployment& d, const manifest::PodTemplateSpec& tmpl);
RSList filter_active(const RSList& rss);  // spec.replicas > 0

// --- counts over ReplicaSets (null entries skipped) ---
int32_t replica_count(const RSList& rss);  // sum of spec.replicas
int32_t actual_replica_count(const RSList& rss);
int32_t ready_replica_count(const RSList& rss);
int32_t available_replica_count(const RSList& rss);

// --- rollout state ---
bool deployment_complete(const manifest::Deployment& d, const manifest::DeploymentStatus& s);
bool deployment_progressing(const manifest::Deployment& d, const manifest::DeploymentStatus& s);
bool deployment_timed_out(const manifest::Deployment& d, const manifest::DeploymentStatus& s, WallTime now);

// --- orders ---
bool created_before(const manifest::ReplicaSet& a, const manifest::ReplicaSet& b);  // then by name
void sort_by_creation(RSList& rss);
void sort_by_size_newer(RSList& rss);  // larger first; equal size: newer first
void sort_by_size_older(RSList& rss);  // larger first; equal size: older first
void sort_by_revision(RSList& rss);    // lower revision first; unparsable or equal: by creation

}  // namespace skiff::controller
