// Shared pieces of the validation (pkg/apis/core/validation and apimachinery's ValidateObjectMeta),
// used by the per-kind validators.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "manifest/diagnostics.hpp"
#include "manifest/names.hpp"
#include "manifest/types_pod.hpp"

namespace skiff::manifest {

enum class NameRule { dns1123_subdomain, dns1123_label, dns1035_label };

// Every message of a name rule as one "Invalid value" error each.
void report_invalid(Diagnostics& d, const FieldPath& p, const nlohmann::json& value, const Messages& msgs);
void validate_non_negative(Diagnostics& d, const FieldPath& p, int64_t v);

void validate_object_meta(const ObjectMeta& m, const FieldPath& p, Diagnostics& d, NameRule rule,
                          std::string_view kind, bool namespaced);
void validate_labels(const LabelMap& labels, const FieldPath& p, Diagnostics& d);
void validate_annotations(const LabelMap& annotations, const FieldPath& p, Diagnostics& d,
                          std::string_view kind);
// matchLabels and matchExpressions well formed (ValidateLabelSelector).
void validate_label_selector(const LabelSelector& s, const FieldPath& p, Diagnostics& d);

void validate_pod_spec(const PodSpec& s, const FieldPath& p, Diagnostics& d);
// A template as Deployments and ReplicaSets hold it: its labels match `selector`, restartPolicy Always.
void validate_pod_template_for_replicas(const PodTemplateSpec& t, const LabelSelector* selector,
                                        const FieldPath& p, Diagnostics& d);

}  // namespace skiff::manifest
