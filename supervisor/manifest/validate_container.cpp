// One container's fields (pkg/apis/core/validation: validateContainerCommon and what it calls).
#include <algorithm>
#include <set>

#include "manifest/validate_pod_internal.hpp"

namespace skiff::manifest {
namespace {

const std::vector<std::string> kProtocols = {"SCTP", "TCP", "UDP"};

void validate_ports(const std::vector<ContainerPort>& ports, const FieldPath& p, Diagnostics& d) {
  std::set<std::string> names;
  for (size_t i = 0; i < ports.size(); ++i) {
    const ContainerPort& port = ports[i];
    FieldPath pp = p.index(i);
    if (!port.name.empty()) {
      report_invalid(d, pp.child("name"), port.name, is_valid_port_name(port.name));
      if (!names.insert(port.name).second) d.duplicate(pp.child("name"), port.name);
    }
    if (port.container_port == 0)
      d.required(pp.child("containerPort"));
    else
      report_invalid(d, pp.child("containerPort"), port.container_port,
                     is_valid_port_num(port.container_port));
    if (port.host_port != 0)
      report_invalid(d, pp.child("hostPort"), port.host_port, is_valid_port_num(port.host_port));
    if (port.protocol.empty())
      d.required(pp.child("protocol"));
    else if (std::find(kProtocols.begin(), kProtocols.end(), port.protocol) == kProtocols.end())
      d.unsupported(pp.child("protocol"), port.protocol, kProtocols);
  }
}

void validate_key_selector(const KeySelector& k, const FieldPath& p, Diagnostics& d) {
  if (k.name.empty())
    d.required(p.child("name"));
  else
    report_invalid(d, p.child("name"), k.name, is_dns1123_subdomain(k.name));
  if (k.key.empty())
    d.required(p.child("key"));
  else
    report_invalid(d, p.child("key"), k.key, is_config_map_key(k.key));
}

const std::vector<std::string> kEnvFieldPaths = {
    "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
    "status.hostIP", "status.hostIPs",     "status.podIP", "status.podIPs"};

void validate_env_source(const EnvVarSource& s, const FieldPath& p, Diagnostics& d) {
  int n = s.field_ref.has_value() + s.resource_field_ref.has_value() + s.config_map_key_ref.has_value() +
          s.secret_key_ref.has_value();
  if (n == 0)
    d.invalid(p, "",
              "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
  if (n > 1) d.invalid(p, "", "may not have more than one field specified at a time");
  if (s.field_ref) validate_field_ref(*s.field_ref, p.child("fieldRef"), d, kEnvFieldPaths);
  if (s.resource_field_ref)
    validate_resource_field_ref(*s.resource_field_ref, p.child("resourceFieldRef"), d, false);
  if (s.config_map_key_ref) validate_key_selector(*s.config_map_key_ref, p.child("configMapKeyRef"), d);
  if (s.secret_key_ref) validate_key_selector(*s.secret_key_ref, p.child("secretKeyRef"), d);
}

void validate_env(const Container& c, const FieldPath& p, Diagnostics& d) {
  for (size_t i = 0; i < c.env.size(); ++i) {
    const EnvVar& e = c.env[i];
    FieldPath ep = p.child("env").index(i);
    if (e.name.empty())
      d.required(ep.child("name"));
    else
      report_invalid(d, ep.child("name"), e.name, is_env_var_name(e.name));
    if (e.value_from) {
      if (!e.value.empty())
        d.invalid(ep.child("valueFrom"), "", "may not be specified when `value` is not empty");
      validate_env_source(*e.value_from, ep.child("valueFrom"), d);
    }
  }
  for (size_t i = 0; i < c.env_from.size(); ++i) {
    const EnvFromSource& e = c.env_from[i];
    FieldPath ep = p.child("envFrom").index(i);
    if (!e.prefix.empty()) report_invalid(d, ep.child("prefix"), e.prefix, is_env_var_name(e.prefix));
    int n = e.config_map_ref.has_value() + e.secret_ref.has_value();
    if (n == 0) d.invalid(ep, "", "must specify one of: `configMapRef` or `secretRef`");
    if (n > 1) d.invalid(ep, "", "may not have more than one field specified at a time");
    for (auto [ref, name] :
         {std::pair{&e.config_map_ref, "configMapRef"}, std::pair{&e.secret_ref, "secretRef"}}) {
      if (!*ref) continue;
      if ((*ref)->name.empty())
        d.required(ep.child(name).child("name"));
      else
        report_invalid(d, ep.child(name).child("name"), (*ref)->name, is_dns1123_subdomain((*ref)->name));
    }
  }
}

void validate_resources(const ResourceRequirements& r, const FieldPath& p, Diagnostics& d) {
  for (auto [list, name] : {std::pair{&r.limits, "limits"}, std::pair{&r.requests, "requests"}}) {
    for (const auto& [res, q] : *list) {
      FieldPath rp = p.child(name).key(res);
      bool known =
          res == "cpu" || res == "memory" || res == "ephemeral-storage" || res.starts_with("hugepages-");
      if (!known) {
        d.error(rp, "not supported: resource \"" + res +
                        "\" (supported resources: cpu, memory, ephemeral-storage, hugepages-<size>)");
        continue;
      }
      if (q.sign() < 0) d.invalid(rp, q.str(), "must be greater than or equal to 0");
    }
  }
  for (const auto& [res, req] : r.requests) {
    auto lim = r.limits.find(res);
    if (lim != r.limits.end() && req > lim->second)
      d.invalid(p.child("requests").key(res), req.str(),
                "must be less than or equal to " + res + " limit of " + lim->second.str());
  }
}

void validate_mounts(const Container& c, const std::set<std::string>& volumes, const FieldPath& p,
                     Diagnostics& d) {
  std::set<std::string> paths;
  for (size_t i = 0; i < c.volume_mounts.size(); ++i) {
    const VolumeMount& m = c.volume_mounts[i];
    FieldPath mp = p.child("volumeMounts").index(i);
    if (m.name.empty())
      d.required(mp.child("name"));
    else if (!volumes.count(m.name))
      d.not_found(mp.child("name"), m.name);
    if (m.mount_path.empty())
      d.required(mp.child("mountPath"));
    else if (!paths.insert(m.mount_path).second)
      d.invalid(mp.child("mountPath"), m.mount_path, "must be unique");
    if (!m.sub_path.empty())
      report_invalid(d, mp.child("subPath"), m.sub_path, is_relative_clean_path(m.sub_path));
    if (!m.sub_path_expr.empty()) {
      if (!m.sub_path.empty())
        d.invalid(mp.child("subPathExpr"), m.sub_path_expr, "subPathExpr and subPath are mutually exclusive");
      report_invalid(d, mp.child("subPathExpr"), m.sub_path_expr, is_relative_clean_path(m.sub_path_expr));
    }
    if (m.mount_propagation) {
      static const std::vector<std::string> kModes = {"Bidirectional", "HostToContainer", "None"};
      if (std::find(kModes.begin(), kModes.end(), *m.mount_propagation) == kModes.end())
        d.unsupported(mp.child("mountPropagation"), *m.mount_propagation, kModes);
      bool privileged = c.security_context && c.security_context->privileged.value_or(false);
      if (*m.mount_propagation == "Bidirectional" && !privileged)
        d.forbidden(mp.child("mountPropagation"),
                    "Bidirectional mount propagation is available only to privileged containers");
    }
  }
}

}  // namespace

void validate_seccomp(const SeccompProfile& s, const FieldPath& p, Diagnostics& d) {
  static const std::vector<std::string> kTypes = {"Localhost", "RuntimeDefault", "Unconfined"};
  if (std::find(kTypes.begin(), kTypes.end(), s.type) == kTypes.end())
    d.unsupported(p.child("type"), s.type, kTypes);
  if (s.type == "Localhost" && (!s.localhost_profile || s.localhost_profile->empty()))
    d.required(p.child("localhostProfile"), "must be set when seccomp type is Localhost");
  if (s.type != "Localhost" && s.localhost_profile)
    d.invalid(p.child("localhostProfile"), *s.localhost_profile,
              "can only be set when seccomp type is Localhost");
  if (s.localhost_profile && !s.localhost_profile->empty())
    report_invalid(d, p.child("localhostProfile"), *s.localhost_profile,
                   is_relative_clean_path(*s.localhost_profile));
}

void validate_id(Diagnostics& d, const FieldPath& p, const std::optional<int64_t>& id) {
  if (id && (*id < 0 || *id > 2147483647)) d.invalid(p, *id, inclusive_range_error(0, 2147483647));
}

void validate_container(const Container& c, const ContainerContext& ctx, const FieldPath& p, Diagnostics& d) {
  if (c.name.empty())
    d.required(p.child("name"));
  else
    report_invalid(d, p.child("name"), c.name, is_dns1123_label(c.name));
  if (c.image.empty())
    d.required(p.child("image"));
  else if (std::string_view(" \t\r\n").find(c.image.front()) != std::string_view::npos ||
           std::string_view(" \t\r\n").find(c.image.back()) != std::string_view::npos)
    d.invalid(p.child("image"), c.image, "must not have leading or trailing whitespace");
  validate_ports(c.ports, p.child("ports"), d);
  validate_env(c, p, d);
  validate_resources(c.resources, p.child("resources"), d);
  validate_mounts(c, ctx.volumes, p, d);
  static const std::vector<std::string> kPull = {"Always", "IfNotPresent", "Never"};
  if (std::find(kPull.begin(), kPull.end(), c.image_pull_policy) == kPull.end())
    d.unsupported(p.child("imagePullPolicy"), c.image_pull_policy, kPull);
  static const std::vector<std::string> kTermination = {"File", "FallbackToLogsOnError"};
  if (std::find(kTermination.begin(), kTermination.end(), c.termination_message_policy) == kTermination.end())
    d.unsupported(p.child("terminationMessagePolicy"), c.termination_message_policy, kTermination);
  if (ctx.init) {
    for (auto [probe, name] :
         {std::pair{&c.liveness_probe, "livenessProbe"}, std::pair{&c.readiness_probe, "readinessProbe"},
          std::pair{&c.startup_probe, "startupProbe"}, std::pair{&c.lifecycle, "lifecycle"}})
      if (*probe)
        d.forbidden(p.child(name), "may not be set for init containers without restartPolicy=Always");
  }
  validate_probes(c, p, d);
  for (size_t i = 0; i < c.ports.size(); ++i)
    if (ctx.host_network && c.ports[i].host_port != 0 && c.ports[i].host_port != c.ports[i].container_port)
      d.invalid(p.child("ports").index(i).child("hostPort"), c.ports[i].host_port,
                "must match `containerPort` when `hostNetwork` is true");
  if (c.security_context) {
    const SecurityContext& s = *c.security_context;
    FieldPath sp = p.child("securityContext");
    validate_id(d, sp.child("runAsUser"), s.run_as_user);
    validate_id(d, sp.child("runAsGroup"), s.run_as_group);
    if (s.seccomp_profile) validate_seccomp(*s.seccomp_profile, sp.child("seccompProfile"), d);
    bool no_escalation = s.allow_privilege_escalation && !*s.allow_privilege_escalation;
    if (no_escalation && s.privileged.value_or(false))
      d.invalid(sp, "", "cannot set `allowPrivilegeEscalation` to false and `privileged` to true");
    if (no_escalation && s.capabilities)
      for (const std::string& cap : s.capabilities->add)
        if (cap == "SYS_ADMIN" || cap == "CAP_SYS_ADMIN")
          d.invalid(sp, "",
                    "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN");
    if (s.run_as_non_root.value_or(false) && s.run_as_user && *s.run_as_user == 0)
      d.invalid(sp.child("runAsNonRoot"), true, "must be false when `runAsUser` is 0 (root)");
  }
}

}  // namespace skiff::manifest
