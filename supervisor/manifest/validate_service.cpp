// Service validation (pkg/apis/core/validation: ValidateService) and the NodePort range check the API
// server's allocator makes.
#include <arpa/inet.h>

#include <algorithm>
#include <set>

#include "manifest/types_kinds.hpp"
#include "manifest/validation.hpp"

namespace skiff::manifest {
namespace {

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool one_of(const std::string& v, const std::vector<std::string>& set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

void check_ports(const ServiceSpec& s, const FieldPath& p, Diagnostics& d) {
  std::set<std::string> names, keys;
  std::set<int32_t> node_ports;
  for (size_t i = 0; i < s.ports.size(); ++i) {
    const ServicePort& port = s.ports[i];
    FieldPath pp = p.index(i);
    if (s.ports.size() > 1 && port.name.empty()) d.required(pp.child("name"));
    if (!port.name.empty()) {
      report_invalid(d, pp.child("name"), port.name, is_dns1123_label(port.name));
      if (!names.insert(port.name).second) d.duplicate(pp.child("name"), port.name);
    }
    report_invalid(d, pp.child("port"), port.port, is_valid_port_num(port.port));
    if (!one_of(port.protocol, {"SCTP", "TCP", "UDP"}))
      d.unsupported(pp.child("protocol"), port.protocol, {"SCTP", "TCP", "UDP"});
    if (port.target_port.is_string)
      report_invalid(d, pp.child("targetPort"), port.target_port.str_value,
                     is_valid_port_name(port.target_port.str_value));
    else
      report_invalid(d, pp.child("targetPort"), port.target_port.int_value,
                     is_valid_port_num(port.target_port.int_value));
    if (!keys.insert(std::to_string(port.port) + "/" + port.protocol).second)
      d.duplicate(pp, nlohmann::json{{"port", port.port}, {"protocol", port.protocol}});
    if (port.node_port != 0) {
      if (s.type == "ClusterIP" || s.type == "ExternalName")
        d.forbidden(pp.child("nodePort"), "may not be used when `type` is '" + s.type + "'");
      else if (port.node_port < 30000 || port.node_port > 32767)
        d.invalid(pp.child("nodePort"), port.node_port,
                  "provided port is not in the valid range. The range of valid ports is 30000-32767");
      else if (!node_ports.insert(port.node_port).second)
        d.duplicate(pp.child("nodePort"), port.node_port);
    }
  }
}

}  // namespace

void validate_service(const Service& o, Diagnostics& d) {
  validate_object_meta(o.metadata, FieldPath("metadata"), d, NameRule::dns1035_label, "Service", true);
  const ServiceSpec& s = o.spec;
  FieldPath sp("spec");
  static const std::vector<std::string> kTypes = {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"};
  if (!one_of(s.type, kTypes)) d.unsupported(sp.child("type"), s.type, kTypes);
  bool headless = s.cluster_ip == "None";
  if (s.type == "ExternalName") {
    if (s.external_name.empty())
      d.required(sp.child("externalName"));
    else
      report_invalid(d, sp.child("externalName"), s.external_name, is_dns1123_subdomain(s.external_name));
    if (!s.cluster_ip.empty()) d.forbidden(sp.child("clusterIP"), "may not be set for ExternalName services");
  } else {
    if (!s.external_name.empty())
      d.forbidden(sp.child("externalName"), "may only be set when `type` is 'ExternalName'");
    if (s.ports.empty() && !headless) d.required(sp.child("ports"));
    if (!s.cluster_ip.empty() && !headless && !is_ip(s.cluster_ip))
      d.invalid(sp.child("clusterIP"), s.cluster_ip,
                "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
    if (headless && (s.type == "NodePort" || s.type == "LoadBalancer"))
      d.invalid(sp.child("clusterIP"), s.cluster_ip, "may not be set to 'None' for " + s.type + " services");
  }
  check_ports(s, sp.child("ports"), d);
  validate_labels(s.selector, sp.child("selector"), d);
  if (!one_of(s.session_affinity, {"ClientIP", "None"}))
    d.unsupported(sp.child("sessionAffinity"), s.session_affinity, {"ClientIP", "None"});
  if (s.session_affinity == "ClientIP" && s.session_affinity_config && s.session_affinity_config->client_ip) {
    int32_t t = s.session_affinity_config->client_ip->timeout_seconds.value_or(0);
    if (t <= 0 || t > 86400)
      d.invalid(sp.child("sessionAffinityConfig").child("clientIP").child("timeoutSeconds"), t,
                "must be greater than 0 and less than 86400");
  }
  if (s.session_affinity == "None" && s.session_affinity_config)
    d.forbidden(sp.child("sessionAffinityConfig"), "must not be set when session affinity is None");
  bool external = s.type == "NodePort" || s.type == "LoadBalancer";
  if (!s.external_traffic_policy.empty()) {
    if (!external)
      d.invalid(sp.child("externalTrafficPolicy"), s.external_traffic_policy,
                "may only be set for externally-accessible services");
    else if (!one_of(s.external_traffic_policy, {"Cluster", "Local"}))
      d.unsupported(sp.child("externalTrafficPolicy"), s.external_traffic_policy, {"Cluster", "Local"});
  }
  if (s.internal_traffic_policy && !one_of(*s.internal_traffic_policy, {"Cluster", "Local"}))
    d.unsupported(sp.child("internalTrafficPolicy"), *s.internal_traffic_policy, {"Cluster", "Local"});
  for (size_t i = 0; i < s.ip_families.size(); ++i)
    if (s.ip_families[i] != "IPv4")
      d.error(sp.child("ipFamilies").index(i),
              "not supported: \"" + s.ip_families[i] + "\" (this host's service network is IPv4 only)");
  if (s.ip_family_policy &&
      !one_of(*s.ip_family_policy, {"SingleStack", "PreferDualStack", "RequireDualStack"}))
    d.unsupported(sp.child("ipFamilyPolicy"), *s.ip_family_policy,
                  {"PreferDualStack", "RequireDualStack", "SingleStack"});
  else if (s.ip_family_policy && *s.ip_family_policy == "RequireDualStack")
    d.error(sp.child("ipFamilyPolicy"),
            "not supported: RequireDualStack (this host's service network is IPv4 only)");
}

}  // namespace skiff::manifest
