// Field lists of the metadata records.
#include "manifest/codec.hpp"
#include "manifest/types_meta.hpp"

namespace skiff::manifest {

SKIFF_FIELDS(OwnerReference) {
  v.type("OwnerReference");
  v("apiVersion", s.api_version, Emit::always);
  v("kind", s.kind, Emit::always);
  v("name", s.name, Emit::always);
  v("uid", s.uid, Emit::always);
  v("controller", s.controller);
  v("blockOwnerDeletion", s.block_owner_deletion);
}

SKIFF_FIELDS(ObjectMeta) {
  v.type("ObjectMeta");
  v.keep_ignored(s.ignored);
  v("name", s.name);
  v("generateName", s.generate_name);
  v("namespace", s.namespace_);
  v("uid", s.uid);
  v("resourceVersion", s.resource_version);
  v("generation", s.generation);
  v("creationTimestamp", s.creation_timestamp);
  v("deletionTimestamp", s.deletion_timestamp);
  v("deletionGracePeriodSeconds", s.deletion_grace_period_seconds);
  v("labels", s.labels);
  v("annotations", s.annotations);
  v("ownerReferences", s.owner_references);
  v("finalizers", s.finalizers);
}

SKIFF_FIELDS(LabelSelectorRequirement) {
  v.type("LabelSelectorRequirement");
  v("key", s.key, Emit::always);
  v("operator", s.op, Emit::always);
  v("values", s.values);
}

SKIFF_FIELDS(LabelSelector) {
  v.type("LabelSelector");
  v("matchLabels", s.match_labels);
  v("matchExpressions", s.match_expressions);
}

SKIFF_FIELDS(Condition) {
  v.type("Condition");
  v("type", s.type, Emit::always);
  v("status", s.status, Emit::always);
  v("lastUpdateTime", s.last_update_time);
  v("lastTransitionTime", s.last_transition_time);
  v("reason", s.reason);
  v("message", s.message);
}

}  // namespace skiff::manifest
