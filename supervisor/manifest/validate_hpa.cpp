// HorizontalPodAutoscaler validation (pkg/apis/autoscaling/validation), with the metric sources one host
// cannot serve refused by name.
#include <algorithm>

#include "manifest/types_kinds.hpp"
#include "manifest/validation.hpp"

namespace skiff::manifest {
namespace {

void check_target(const MetricTarget& t, const FieldPath& p, Diagnostics& d) {
  if (t.type != "Utilization" && t.type != "AverageValue") {
    if (t.type == "Value")
      d.invalid(p.child("type"), t.type, "must be either Utilization or AverageValue for a Resource metric");
    else
      d.unsupported(p.child("type"), t.type, {"AverageValue", "Utilization"});
    return;
  }
  if (t.type == "Utilization") {
    if (!t.average_utilization)
      d.required(p.child("averageUtilization"), "must set averageUtilization when type is Utilization");
    else if (*t.average_utilization <= 0)
      d.invalid(p.child("averageUtilization"), *t.average_utilization, "must be greater than 0");
    if (t.average_value) d.forbidden(p.child("averageValue"), "may not be set when type is Utilization");
  } else {
    if (!t.average_value)
      d.required(p.child("averageValue"), "must set averageValue when type is AverageValue");
    else if (t.average_value->sign() <= 0)
      d.invalid(p.child("averageValue"), t.average_value->str(), "must be positive");
    if (t.average_utilization)
      d.forbidden(p.child("averageUtilization"), "may not be set when type is AverageValue");
  }
  if (t.value) d.forbidden(p.child("value"), "may not be set for a Resource metric");
}

void check_metric(const MetricSpec& m, const FieldPath& p, Diagnostics& d) {
  static const std::vector<std::string> kTypes = {"ContainerResource", "External", "Object", "Pods",
                                                  "Resource"};
  if (m.type.empty()) return d.required(p.child("type"));
  if (std::find(kTypes.begin(), kTypes.end(), m.type) == kTypes.end())
    return d.unsupported(p.child("type"), m.type, kTypes);
  if (m.type != "Resource") {
    d.error(p.child("type"),
            "not supported on one host: metric type \"" + m.type +
                "\" needs a custom or external metrics API (supported: Resource, cpu and memory)");
    return;
  }
  if (m.pods || m.object || m.external || m.container_resource)
    d.forbidden(p, "must populate the given metric source only");
  if (!m.resource)
    return d.required(p.child("resource"), "must populate information for the given metric source");
  FieldPath rp = p.child("resource");
  if (m.resource->name.empty())
    d.required(rp.child("name"));
  else if (m.resource->name != "cpu" && m.resource->name != "memory")
    d.error(rp.child("name"),
            "not supported on one host: resource \"" + m.resource->name + "\" (supported: cpu, memory)");
  check_target(m.resource->target, rp.child("target"), d);
}

void check_rules(const HPAScalingRules& r, const FieldPath& p, Diagnostics& d) {
  if (r.stabilization_window_seconds &&
      (*r.stabilization_window_seconds < 0 || *r.stabilization_window_seconds > 3600))
    d.invalid(p.child("stabilizationWindowSeconds"), *r.stabilization_window_seconds,
              "must be greater than or equal to zero and less than or equal to 3600");
  if (r.select_policy && *r.select_policy != "Max" && *r.select_policy != "Min" &&
      *r.select_policy != "Disabled")
    d.unsupported(p.child("selectPolicy"), *r.select_policy, {"Disabled", "Max", "Min"});
  if (r.policies.empty()) d.required(p.child("policies"), "must specify at least one Policy");
  for (size_t i = 0; i < r.policies.size(); ++i) {
    const HPAScalingPolicy& pol = r.policies[i];
    FieldPath pp = p.child("policies").index(i);
    if (pol.type != "Pods" && pol.type != "Percent")
      d.unsupported(pp.child("type"), pol.type, {"Percent", "Pods"});
    if (pol.value <= 0) d.invalid(pp.child("value"), pol.value, "must be greater than zero");
    if (pol.period_seconds <= 0 || pol.period_seconds > 1800)
      d.invalid(pp.child("periodSeconds"), pol.period_seconds,
                "must be greater than zero and less than or equal to 1800");
  }
}

}  // namespace

void validate_hpa(const HorizontalPodAutoscaler& o, Diagnostics& d) {
  validate_object_meta(o.metadata, FieldPath("metadata"), d, NameRule::dns1123_subdomain,
                       "HorizontalPodAutoscaler", true);
  const HorizontalPodAutoscalerSpec& s = o.spec;
  FieldPath sp("spec");
  FieldPath ref = sp.child("scaleTargetRef");
  if (s.scale_target_ref.kind.empty()) d.required(ref.child("kind"));
  if (s.scale_target_ref.name.empty())
    d.required(ref.child("name"));
  else
    report_invalid(d, ref.child("name"), s.scale_target_ref.name,
                   is_dns1123_subdomain(s.scale_target_ref.name));
  int32_t min = s.min_replicas.value_or(1);
  if (min < 1) d.invalid(sp.child("minReplicas"), min, "must be greater than or equal to 1");
  if (s.max_replicas < 1)
    d.invalid(sp.child("maxReplicas"), s.max_replicas, "must be greater than 0");
  else if (s.max_replicas < min)
    d.invalid(sp.child("maxReplicas"), s.max_replicas, "must be greater than or equal to `minReplicas`");
  for (size_t i = 0; i < s.metrics.size(); ++i) check_metric(s.metrics[i], sp.child("metrics").index(i), d);
  if (s.behavior) {
    if (s.behavior->scale_up) check_rules(*s.behavior->scale_up, sp.child("behavior").child("scaleUp"), d);
    if (s.behavior->scale_down)
      check_rules(*s.behavior->scale_down, sp.child("behavior").child("scaleDown"), d);
  }
}

}  // namespace skiff::manifest
