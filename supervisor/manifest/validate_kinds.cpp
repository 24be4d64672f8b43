// Per-kind validation: Pod, Namespace, ConfigMap, Secret (core), Deployment, ReplicaSet (apps),
// Service, HorizontalPodAutoscaler (autoscaling/v2), Endpoints, EndpointSlice, and the dispatcher.
#include <algorithm>
#include <set>

#include "manifest/manifest.hpp"
#include "manifest/validation.hpp"

namespace skiff::manifest {
namespace {

constexpr size_t kMaxConfigBytes = 1024 * 1024;  // ConfigMap and Secret data (etcd's object limit)

bool one_of(const std::string& v, const std::vector<std::string>& set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

void check(const Pod& o, Diagnostics& d) {
  validate_object_meta(o.metadata, FieldPath("metadata"), d, NameRule::dns1123_subdomain, "Pod", true);
  validate_pod_spec(o.spec, FieldPath("spec"), d);
}

void check(const Namespace& o, Diagnostics& d) {
  validate_object_meta(o.metadata, FieldPath("metadata"), d, NameRule::dns1123_label, "Namespace", false);
}

void check(const ConfigMap& o, Diagnostics& d) {
  validate_object_meta(o.metadata, FieldPath("metadata"), d, NameRule::dns1123_subdomain, "ConfigMap", true);
  size_t total = 0;
  for (const auto& [k, v] : o.data) {
    report_invalid(d, FieldPath("data").key(k), k, is_config_map_key(k));
    total += v.size();
  }
  for (const auto& [k, v] : o.binary_data) {
    report_invalid(d, FieldPath("binaryData").key(k), k, is_config_map_key(k));
    if (o.data.count(k)) d.invalid(FieldPath("binaryData").key(k), k, "duplicate of key present in data");
    total += v.bytes.size();
  }
  if (total > kMaxConfigBytes) d.too_long(FieldPath(), kMaxConfigBytes);
}

void require_key(const Secret& o, Diagnostics& d, const std::string& key) {
  if (!o.data.count(key)) d.required(FieldPath("data").key(key));
}

void check(const Secret& o, Diagnostics& d) {
  validate_object_meta(o.metadata, FieldPath("metadata"), d, NameRule::dns1123_subdomain, "Secret", true);
  size_t total = 0;
  for (const auto& [k, v] : o.data) {
    report_invalid(d, FieldPath("data").key(k), k, is_config_map_key(k));
    total += v.bytes.size();
  }
  if (total > kMaxConfigBytes) d.too_long(FieldPath("data"), kMaxConfigBytes);
  const std::string& t = o.type;
  if (t == "kubernetes.io/dockerconfigjson" || t == "kubernetes.io/dockercfg") {
    std::string key = t == "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson";
    require_key(o, d, key);
    auto it = o.data.find(key);
    if (it != o.data.end()) {
      nlohmann::json parsed = nlohmann::json::parse(it->second.bytes, nullptr, false);
      if (parsed.is_discarded() || !parsed.is_object())
        d.invalid(FieldPath("data").key(key), "<secret contents redacted>", "must be a valid JSON object");
    }
  } else if (t == "kubernetes.io/tls") {
    require_key(o, d, "tls.crt");
    require_key(o, d, "tls.key");
  } else if (t == "kubernetes.io/ssh-auth") {
    require_key(o, d, "ssh-privatekey");
  } else if (t == "kubernetes.io/basic-auth") {
    if (!o.data.count("username") && !o.data.count("password"))
      d.required(FieldPath("data").key("username"), "at least one of username or password is required");
  } else if (t == "kubernetes.io/service-account-token") {
    d.error(FieldPath("type"), "not supported: no API server fills service account tokens on one host");
  }
}

void check_selector_required(const std::optional<LabelSelector>& sel, const FieldPath& p, Diagnostics& d,
                             const char* kind) {
  if (!sel) return d.required(p);
  if (sel->empty())
    d.invalid(p, nlohmann::json::object(), std::string("empty selector is invalid for ") + kind);
  validate_label_selector(*sel, p, d);
}

// ValidatePositiveIntOrPercent and IsNotMoreThan100Percent.
void check_int_or_percent(const IntOrString& v, const FieldPath& p, Diagnostics& d) {
  if (v.is_string) {
    const std::string& s = v.str_value;
    bool ok = s.size() >= 2 && s.back() == '%' &&
              std::all_of(s.begin(), s.end() - 1, [](char c) { return c >= '0' && c <= '9'; });
    if (!ok)
      return d.invalid(
          p, s,
          "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  "
          "or '93%', regex used for validation is '[0-9]+%')");
    if (std::stoll(s.substr(0, std::min<size_t>(s.size() - 1, 12))) > 100)
      d.invalid(p, s, "must not be greater than 100%");
  } else {
    validate_non_negative(d, p, v.int_value);
  }
}

bool is_zero_int_or_percent(const IntOrString& v) {
  if (!v.is_string) return v.int_value == 0;
  return v.str_value == "0%";
}

void check(const Deployment& o, Diagnostics& d) {
  validate_object_meta(o.metadata, FieldPath("metadata"), d, NameRule::dns1123_subdomain, "Deployment", true);
  const DeploymentSpec& s = o.spec;
  FieldPath sp("spec");
  validate_non_negative(d, sp.child("replicas"), s.replicas.value_or(0));
  check_selector_required(s.selector, sp.child("selector"), d, "deployment");
  validate_pod_template_for_replicas(s.template_, s.selector ? &*s.selector : nullptr, sp.child("template"),
                                     d);
  FieldPath st = sp.child("strategy");
  if (!one_of(s.strategy.type, {"Recreate", "RollingUpdate"}))
    d.unsupported(st.child("type"), s.strategy.type, {"Recreate", "RollingUpdate"});
  if (s.strategy.type == "Recreate" && s.strategy.rolling_update)
    d.forbidden(st.child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'");
  if (s.strategy.type == "RollingUpdate" && s.strategy.rolling_update) {
    const RollingUpdateDeployment& ru = *s.strategy.rolling_update;
    FieldPath rp = st.child("rollingUpdate");
    if (ru.max_unavailable) check_int_or_percent(*ru.max_unavailable, rp.child("maxUnavailable"), d);
    if (ru.max_surge) check_int_or_percent(*ru.max_surge, rp.child("maxSurge"), d);
    if (ru.max_unavailable && ru.max_surge && is_zero_int_or_percent(*ru.max_unavailable) &&
        is_zero_int_or_percent(*ru.max_surge))
      d.invalid(rp.child("maxUnavailable"), ru.max_unavailable->to_json(),
                "may not be 0 when `maxSurge` is 0");
  }
  validate_non_negative(d, sp.child("minReadySeconds"), s.min_ready_seconds);
  if (s.revision_history_limit)
    validate_non_negative(d, sp.child("revisionHistoryLimit"), *s.revision_history_limit);
  if (s.progress_deadline_seconds) {
    validate_non_negative(d, sp.child("progressDeadlineSeconds"), *s.progress_deadline_seconds);
    if (*s.progress_deadline_seconds <= s.min_ready_seconds)
      d.invalid(sp.child("progressDeadlineSeconds"), *s.progress_deadline_seconds,
                "must be greater than minReadySeconds");
  }
}

void check(const ReplicaSet& o, Diagnostics& d) {
  validate_object_meta(o.metadata, FieldPath("metadata"), d, NameRule::dns1123_subdomain, "ReplicaSet", true);
  FieldPath sp("spec");
  validate_non_negative(d, sp.child("replicas"), o.spec.replicas.value_or(0));
  validate_non_negative(d, sp.child("minReadySeconds"), o.spec.min_ready_seconds);
  check_selector_required(o.spec.selector, sp.child("selector"), d, "deployment");
  validate_pod_template_for_replicas(o.spec.template_, o.spec.selector ? &*o.spec.selector : nullptr,
                                     sp.child("template"), d);
}

}  // namespace

void validate_service(const Service& o, Diagnostics& d);
void validate_hpa(const HorizontalPodAutoscaler& o, Diagnostics& d);
void validate_endpoints(const Endpoints& o, Diagnostics& d);
void validate_endpoint_slice(const EndpointSlice& o, Diagnostics& d);

void validate(const Object& object, Diagnostics& d) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Service>)
          validate_service(x, d);
        else if constexpr (std::is_same_v<T, HorizontalPodAutoscaler>)
          validate_hpa(x, d);
        else if constexpr (std::is_same_v<T, Endpoints>)
          validate_endpoints(x, d);
        else if constexpr (std::is_same_v<T, EndpointSlice>)
          validate_endpoint_slice(x, d);
        else
          check(x, d);
      },
      object);
}

}  // namespace skiff::manifest
