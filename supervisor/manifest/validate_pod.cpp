// PodSpec and volumes (pkg/apis/core/validation: ValidatePodSpec, ValidateVolumes and their helpers).
#include <algorithm>
#include <map>

#include "manifest/codec.hpp"

#include "manifest/validate_pod_internal.hpp"

namespace skiff::manifest {
namespace {

bool contains(const std::vector<std::string>& set, const std::string& v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

void validate_mode(Diagnostics& d, const FieldPath& p, const std::optional<int32_t>& mode) {
  if (mode && (*mode < 0 || *mode > 0777))
    d.invalid(p, *mode, "must be a number between 0 and 0777 (octal), both inclusive");
}

// validateLocalNonReservedPath: relative, no `..` element, not starting with `..`.
void validate_item_path(Diagnostics& d, const FieldPath& p, const std::string& path) {
  if (path.empty()) return d.required(p);
  report_invalid(d, p, path, is_relative_clean_path(path));
  if (path.starts_with("..")) d.invalid(p, path, "must not start with '..'");
}

void validate_key_to_paths(const std::vector<KeyToPath>& items, const FieldPath& p, Diagnostics& d) {
  for (size_t i = 0; i < items.size(); ++i) {
    FieldPath ip = p.index(i);
    if (items[i].key.empty())
      d.required(ip.child("key"));
    else
      report_invalid(d, ip.child("key"), items[i].key, is_config_map_key(items[i].key));
    validate_item_path(d, ip.child("path"), items[i].path);
    validate_mode(d, ip.child("mode"), items[i].mode);
  }
}

const std::vector<std::string> kVolumeFieldPaths = {"metadata.annotations", "metadata.labels",
                                                    "metadata.name", "metadata.namespace", "metadata.uid"};

void validate_downward_items(const std::vector<DownwardAPIVolumeFile>& items, const FieldPath& p,
                             Diagnostics& d) {
  for (size_t i = 0; i < items.size(); ++i) {
    const DownwardAPIVolumeFile& f = items[i];
    FieldPath ip = p.index(i);
    validate_item_path(d, ip.child("path"), f.path);
    validate_mode(d, ip.child("mode"), f.mode);
    if (f.field_ref && f.resource_field_ref)
      d.invalid(ip, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously");
    else if (!f.field_ref && !f.resource_field_ref)
      d.required(ip, "one of fieldRef and resourceFieldRef is required");
    if (f.field_ref) validate_field_ref(*f.field_ref, ip.child("fieldRef"), d, kVolumeFieldPaths);
    if (f.resource_field_ref)
      validate_resource_field_ref(*f.resource_field_ref, ip.child("resourceFieldRef"), d, true);
  }
}

void validate_volume(const Volume& v, const FieldPath& p, Diagnostics& d) {
  int sources = v.host_path.has_value() + v.empty_dir.has_value() + v.secret.has_value() +
                v.config_map.has_value() + v.downward_api.has_value() + v.projected.has_value();
  if (sources > 1) d.forbidden(p, "may not specify more than 1 volume type");
  if (v.host_path) {
    FieldPath hp = p.child("hostPath");
    if (v.host_path->path.empty()) d.required(hp.child("path"));
    static const std::vector<std::string> kTypes = {
        "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"};
    if (v.host_path->type && !contains(kTypes, *v.host_path->type))
      d.unsupported(hp.child("type"), *v.host_path->type, kTypes);
    if (v.host_path->path.find("/../") != std::string::npos || v.host_path->path.ends_with("/.."))
      d.invalid(hp.child("path"), v.host_path->path, "must not contain '..'");
  }
  if (v.empty_dir) {
    if (!contains({"", "Memory"}, v.empty_dir->medium))
      d.unsupported(p.child("emptyDir").child("medium"), v.empty_dir->medium, {"", "Memory"});
    if (v.empty_dir->size_limit && v.empty_dir->size_limit->sign() < 0)
      d.invalid(p.child("emptyDir").child("sizeLimit"), v.empty_dir->size_limit->str(),
                "must be greater than or equal to 0");
  }
  if (v.secret) {
    FieldPath sp = p.child("secret");
    if (v.secret->secret_name.empty())
      d.required(sp.child("secretName"));
    else
      report_invalid(d, sp.child("secretName"), v.secret->secret_name,
                     is_dns1123_subdomain(v.secret->secret_name));
    validate_key_to_paths(v.secret->items, sp.child("items"), d);
    validate_mode(d, sp.child("defaultMode"), v.secret->default_mode);
  }
  if (v.config_map) {
    FieldPath cp = p.child("configMap");
    if (v.config_map->name.empty())
      d.required(cp.child("name"));
    else
      report_invalid(d, cp.child("name"), v.config_map->name, is_dns1123_subdomain(v.config_map->name));
    validate_key_to_paths(v.config_map->items, cp.child("items"), d);
    validate_mode(d, cp.child("defaultMode"), v.config_map->default_mode);
  }
  if (v.downward_api) {
    validate_downward_items(v.downward_api->items, p.child("downwardAPI").child("items"), d);
    validate_mode(d, p.child("downwardAPI").child("defaultMode"), v.downward_api->default_mode);
  }
  if (v.projected) {
    FieldPath pp = p.child("projected");
    validate_mode(d, pp.child("defaultMode"), v.projected->default_mode);
    for (size_t i = 0; i < v.projected->sources.size(); ++i) {
      const VolumeProjection& s = v.projected->sources[i];
      FieldPath sp = pp.child("sources").index(i);
      int n = s.secret.has_value() + s.config_map.has_value() + s.downward_api.has_value();
      if (n != 1) d.forbidden(sp, "may not specify more than 1 volume type per source");
      for (auto [src, name] : {std::pair{&s.secret, "secret"}, std::pair{&s.config_map, "configMap"}}) {
        if (!*src) continue;
        if ((*src)->name.empty()) d.required(sp.child(name).child("name"));
        validate_key_to_paths((*src)->items, sp.child(name).child("items"), d);
      }
      if (s.downward_api)
        validate_downward_items(s.downward_api->items, sp.child("downwardAPI").child("items"), d);
    }
  }
}

void validate_pod_security(const PodSecurityContext& s, const FieldPath& p, Diagnostics& d) {
  validate_id(d, p.child("runAsUser"), s.run_as_user);
  validate_id(d, p.child("runAsGroup"), s.run_as_group);
  validate_id(d, p.child("fsGroup"), s.fs_group);
  for (size_t i = 0; i < s.supplemental_groups.size(); ++i)
    validate_id(d, p.child("supplementalGroups").index(i), s.supplemental_groups[i]);
  if (s.seccomp_profile) validate_seccomp(*s.seccomp_profile, p.child("seccompProfile"), d);
  if (s.fs_group_change_policy && !contains({"OnRootMismatch", "Always"}, *s.fs_group_change_policy))
    d.unsupported(p.child("fsGroupChangePolicy"), *s.fs_group_change_policy, {"OnRootMismatch", "Always"});
  for (size_t i = 0; i < s.sysctls.size(); ++i)
    if (s.sysctls[i].name.empty()) d.required(p.child("sysctls").index(i).child("name"));
}

// AccumulateUniqueHostPorts: one hostIP/hostPort/protocol per pod.
void validate_host_ports(const PodSpec& s, const FieldPath& p, Diagnostics& d) {
  std::set<std::string> seen;
  for (size_t ci = 0; ci < s.containers.size(); ++ci) {
    const Container& c = s.containers[ci];
    for (size_t i = 0; i < c.ports.size(); ++i) {
      const ContainerPort& port = c.ports[i];
      if (port.host_port == 0) continue;
      std::string key = port.host_ip + "/" + std::to_string(port.host_port) + "/" + port.protocol;
      if (!seen.insert(key).second)
        d.duplicate(p.child("containers").index(ci).child("ports").index(i).child("hostPort"),
                    std::to_string(port.host_port) + "/" + port.protocol);
    }
  }
}

}  // namespace

void validate_field_ref(const ObjectFieldSelector& f, const FieldPath& p, Diagnostics& d,
                        const std::vector<std::string>& allowed) {
  if (f.api_version != "v1") d.unsupported(p.child("apiVersion"), f.api_version, {"v1"});
  if (f.field_path.empty()) return d.required(p.child("fieldPath"));
  // metadata.labels['key'] and metadata.annotations['key'] name one entry
  std::string path = f.field_path;
  for (std::string prefix : {"metadata.labels[", "metadata.annotations["}) {
    if (path.starts_with(prefix) && path.ends_with("]")) {
      std::string key = path.substr(prefix.size(), path.size() - prefix.size() - 1);
      if (key.size() >= 2 && key.front() == '\'' && key.back() == '\'') {
        report_invalid(d, p.child("fieldPath"), f.field_path,
                       is_qualified_name(key.substr(1, key.size() - 2)));
        return;
      }
    }
  }
  if (!contains(allowed, path)) {
    std::vector<std::string> shown = allowed;
    shown.push_back("metadata.labels['<KEY>']");
    shown.push_back("metadata.annotations['<KEY>']");
    std::sort(shown.begin(), shown.end());
    d.unsupported(p.child("fieldPath"), f.field_path, shown);
  }
}

void validate_resource_field_ref(const ResourceFieldSelector& r, const FieldPath& p, Diagnostics& d,
                                 bool container_required) {
  static const std::vector<std::string> kResources = {
      "limits.cpu",   "limits.ephemeral-storage",   "limits.memory",
      "requests.cpu", "requests.ephemeral-storage", "requests.memory"};
  if (container_required && r.container_name.empty()) d.required(p.child("containerName"));
  if (r.resource.empty()) return d.required(p.child("resource"));
  if (!contains(kResources, r.resource)) return d.unsupported(p.child("resource"), r.resource, kResources);
  if (r.divisor.is_zero()) return;
  std::string div = r.divisor.str();
  if (r.resource.ends_with(".cpu")) {
    if (div != "1m" && div != "1")
      d.invalid(p.child("divisor"), div,
                "only divisor's values 1m and 1 are supported with the cpu resource");
  } else if (!contains({"1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"},
                       div)) {
    d.invalid(
        p.child("divisor"), div,
        "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with "
        "the memory resource");
  }
}

void validate_probes(const Container& c, const FieldPath& p, Diagnostics& d) {
  for (auto [probe, name] :
       {std::pair{&c.liveness_probe, "livenessProbe"}, std::pair{&c.readiness_probe, "readinessProbe"},
        std::pair{&c.startup_probe, "startupProbe"}, std::pair{&c.lifecycle, "lifecycle"}})
    if (*probe && !(*probe)->is_object()) type_error(d, p.child(name), **probe, "an object");
}

void validate_pod_spec(const PodSpec& s, const FieldPath& p, Diagnostics& d) {
  ContainerContext ctx;
  ctx.host_network = s.host_network;
  for (size_t i = 0; i < s.volumes.size(); ++i) {
    const Volume& v = s.volumes[i];
    FieldPath vp = p.child("volumes").index(i);
    if (v.name.empty())
      d.required(vp.child("name"));
    else
      report_invalid(d, vp.child("name"), v.name, is_dns1123_label(v.name));
    if (!v.name.empty() && !ctx.volumes.insert(v.name).second) d.duplicate(vp.child("name"), v.name);
    validate_volume(v, vp, d);
  }
  if (s.containers.empty()) d.required(p.child("containers"));
  std::set<std::string> names;
  for (auto [list, field, init] : {std::tuple{&s.init_containers, "initContainers", true},
                                   std::tuple{&s.containers, "containers", false}}) {
    ctx.init = init;
    for (size_t i = 0; i < list->size(); ++i) {
      const Container& c = (*list)[i];
      FieldPath cp = p.child(field).index(i);
      validate_container(c, ctx, cp, d);
      if (!c.name.empty() && !names.insert(c.name).second) d.duplicate(cp.child("name"), c.name);
    }
  }
  validate_host_ports(s, p, d);
  static const std::vector<std::string> kRestart = {"Always", "OnFailure", "Never"};
  if (!contains(kRestart, s.restart_policy))
    d.unsupported(p.child("restartPolicy"), s.restart_policy, kRestart);
  static const std::vector<std::string> kDns = {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"};
  if (!contains(kDns, s.dns_policy)) d.unsupported(p.child("dnsPolicy"), s.dns_policy, kDns);
  if (s.dns_policy == "None" && !s.dns_config)
    d.required(p.child("dnsConfig"), "must provide `dnsConfig` when `dnsPolicy` is None");
  if (s.dns_config) {
    if (s.dns_config->nameservers.size() > 3)
      d.invalid(p.child("dnsConfig").child("nameservers"), s.dns_config->nameservers.size(),
                "must not have more than 3 nameservers");
    if (s.dns_policy == "None" && s.dns_config->nameservers.empty())
      d.required(p.child("dnsConfig").child("nameservers"),
                 "must provide at least one DNS nameserver when "
                 "`dnsPolicy` is None");
  }
  if (s.termination_grace_period_seconds)
    validate_non_negative(d, p.child("terminationGracePeriodSeconds"), *s.termination_grace_period_seconds);
  if (s.active_deadline_seconds &&
      (*s.active_deadline_seconds < 1 || *s.active_deadline_seconds > 2147483647))
    d.invalid(p.child("activeDeadlineSeconds"), *s.active_deadline_seconds,
              inclusive_range_error(1, 2147483647));
  validate_labels(s.node_selector, p.child("nodeSelector"), d);
  if (!s.hostname.empty()) report_invalid(d, p.child("hostname"), s.hostname, is_dns1123_label(s.hostname));
  if (!s.subdomain.empty())
    report_invalid(d, p.child("subdomain"), s.subdomain, is_dns1123_label(s.subdomain));
  for (size_t i = 0; i < s.image_pull_secrets.size(); ++i)
    if (s.image_pull_secrets[i].name.empty()) d.required(p.child("imagePullSecrets").index(i).child("name"));
  for (size_t i = 0; i < s.host_aliases.size(); ++i)
    if (s.host_aliases[i].ip.empty()) d.required(p.child("hostAliases").index(i).child("ip"));
  if (s.share_process_namespace.value_or(false) && s.host_pid)
    d.invalid(p.child("shareProcessNamespace"), true,
              "ShareProcessNamespace and HostPID cannot both be enabled");
  if (s.security_context) validate_pod_security(*s.security_context, p.child("securityContext"), d);
}

void validate_pod_template_for_replicas(const PodTemplateSpec& t, const LabelSelector* selector,
                                        const FieldPath& p, Diagnostics& d) {
  FieldPath mp = p.child("metadata");
  validate_labels(t.metadata.labels, mp.child("labels"), d);
  validate_annotations(t.metadata.annotations, mp.child("annotations"), d, "Pod");
  if (selector && !selector->empty() && !selector_matches(*selector, t.metadata.labels))
    d.invalid(mp.child("labels"), t.metadata.labels, "`selector` does not match template `labels`");
  validate_pod_spec(t.spec, p.child("spec"), d);
  if (t.spec.restart_policy != "Always")
    d.unsupported(p.child("spec").child("restartPolicy"), t.spec.restart_policy, {"Always"});
  if (t.spec.active_deadline_seconds)
    d.forbidden(p.child("spec").child("activeDeadlineSeconds"),
                "activeDeadlineSeconds in ReplicaSet is not Supported");
}

}  // namespace skiff::manifest
