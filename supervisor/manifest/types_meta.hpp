// metav1.ObjectMeta, OwnerReference and LabelSelector with Kubernetes' field names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "manifest/codec_fwd.hpp"
#include "manifest/label_selector.hpp"

namespace skiff::manifest {

struct OwnerReference {
  std::string api_version, kind, name, uid;
  std::optional<bool> controller, block_owner_deletion;
  friend bool operator==(const OwnerReference&, const OwnerReference&) = default;
};

struct ObjectMeta {
  std::string name, generate_name, namespace_, uid, resource_version;
  int64_t generation = 0;
  Time creation_timestamp;
  std::optional<Time> deletion_timestamp;
  std::optional<int64_t> deletion_grace_period_seconds;
  LabelMap labels, annotations;
  std::vector<OwnerReference> owner_references;
  std::vector<std::string> finalizers;
  IgnoredFields ignored;
  friend bool operator==(const ObjectMeta&, const ObjectMeta&) = default;
};

// A condition as Deployments, ReplicaSets and HPAs report them (DeploymentCondition and its kin).
struct Condition {
  std::string type, status;
  std::optional<Time> last_update_time;  // Deployments only
  Time last_transition_time;
  std::string reason, message;
  friend bool operator==(const Condition&, const Condition&) = default;
};

SKIFF_MANIFEST_RECORD(OwnerReference)
SKIFF_MANIFEST_RECORD(ObjectMeta)
SKIFF_MANIFEST_RECORD(LabelSelector)
SKIFF_MANIFEST_RECORD(LabelSelectorRequirement)
SKIFF_MANIFEST_RECORD(Condition)

}  // namespace skiff::manifest
