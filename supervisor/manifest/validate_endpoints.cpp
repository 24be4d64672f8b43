// Endpoints validation (pkg/apis/core/validation: ValidateEndpoints) and EndpointSlice validation
// (pkg/apis/discovery/validation: ValidateEndpointSlice), with their messages.
#include <arpa/inet.h>

#include <set>

#include "manifest/types_endpoints.hpp"
#include "manifest/validation.hpp"

namespace skiff::manifest {
namespace {

constexpr size_t kMaxSliceEndpoints = 1000, kMaxSliceAddresses = 100, kMaxSlicePorts = 100;

void too_many(Diagnostics& d, const FieldPath& p, size_t n, size_t max) {
  d.error(p, "Too many: " + std::to_string(n) + ": must have at most " + std::to_string(max) + " items");
}

// ValidateNonSpecialIP: an address an endpoint may carry (not unspecified, loopback or link-local).
void check_non_special_ip(const std::string& ip, const FieldPath& p, Diagnostics& d) {
  in_addr a4{};
  in6_addr a6{};
  if (inet_pton(AF_INET, ip.c_str(), &a4) == 1) {
    uint32_t v = ntohl(a4.s_addr);
    if (v == 0) d.invalid(p, ip, "may not be unspecified (" + ip + ")");
    if ((v >> 24) == 127) d.invalid(p, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)");
    if ((v >> 16) == 0xa9fe)
      d.invalid(p, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
    if ((v >> 8) == 0xe00000)
      d.invalid(p, ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)");
    return;
  }
  if (inet_pton(AF_INET6, ip.c_str(), &a6) != 1) return d.invalid(p, ip, "must be a valid IP address");
  if (IN6_IS_ADDR_UNSPECIFIED(&a6)) d.invalid(p, ip, "may not be unspecified (" + ip + ")");
  if (IN6_IS_ADDR_LOOPBACK(&a6)) d.invalid(p, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)");
  if (IN6_IS_ADDR_LINKLOCAL(&a6))
    d.invalid(p, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
  if (IN6_IS_ADDR_MC_LINKLOCAL(&a6))
    d.invalid(p, ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)");
}

bool is_ip(const std::string& s, int family) {
  unsigned char buf[16];
  return inet_pton(family, s.c_str(), buf) == 1;
}

void check_protocol(const std::string& proto, const FieldPath& p, Diagnostics& d) {
  if (proto.empty())
    d.required(p);
  else if (proto != "TCP" && proto != "UDP" && proto != "SCTP")
    d.unsupported(p, proto, {"SCTP", "TCP", "UDP"});
}

void check_address(const EndpointAddress& a, const FieldPath& p, Diagnostics& d) {
  if (!is_ip(a.ip, AF_INET) && !is_ip(a.ip, AF_INET6))
    d.invalid(p.child("ip"), a.ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
  else
    check_non_special_ip(a.ip, p.child("ip"), d);
  if (!a.hostname.empty()) report_invalid(d, p.child("hostname"), a.hostname, is_dns1123_label(a.hostname));
  if (a.node_name && !a.node_name->empty())
    report_invalid(d, p.child("nodeName"), *a.node_name, is_dns1123_subdomain(*a.node_name));
}

void check_port(const EndpointPort& port, bool require_name, const FieldPath& p, Diagnostics& d) {
  if (require_name && port.name.empty())
    d.required(p.child("name"));
  else if (!port.name.empty())
    report_invalid(d, p.child("name"), port.name, is_dns1123_label(port.name));
  report_invalid(d, p.child("port"), port.port, is_valid_port_num(port.port));
  check_protocol(port.protocol, p.child("protocol"), d);
}

void check_slice_endpoints(const EndpointSlice& s, Diagnostics& d) {
  FieldPath ep("endpoints");
  if (s.endpoints.size() > kMaxSliceEndpoints) return too_many(d, ep, s.endpoints.size(), kMaxSliceEndpoints);
  for (size_t i = 0; i < s.endpoints.size(); ++i) {
    const Endpoint& e = s.endpoints[i];
    FieldPath ap = ep.index(i).child("addresses");
    if (e.addresses.empty())
      d.required(ap, "must contain at least 1 address");
    else if (e.addresses.size() > kMaxSliceAddresses)
      too_many(d, ap, e.addresses.size(), kMaxSliceAddresses);
    for (size_t j = 0; j < e.addresses.size(); ++j) {
      const std::string& a = e.addresses[j];
      if (s.address_type == "IPv4" || s.address_type == "IPv6") {
        int family = s.address_type == "IPv4" ? AF_INET : AF_INET6;
        if (!is_ip(a, family))
          d.invalid(ap.index(j), a, std::string("must be a valid ") + s.address_type + " address");
        else
          check_non_special_ip(a, ap.index(j), d);
      } else if (s.address_type == "FQDN") {
        report_invalid(d, ap.index(j), a, is_dns1123_subdomain(a));
      }
    }
    if (e.hostname)
      report_invalid(d, ep.index(i).child("hostname"), *e.hostname, is_dns1123_label(*e.hostname));
    validate_labels(e.deprecated_topology, ep.index(i).child("deprecatedTopology"), d);
    if (e.node_name && !e.node_name->empty())
      report_invalid(d, ep.index(i).child("nodeName"), *e.node_name, is_dns1123_subdomain(*e.node_name));
  }
}

void check_slice_ports(const EndpointSlice& s, Diagnostics& d) {
  FieldPath pp("ports");
  if (s.ports.size() > kMaxSlicePorts) return too_many(d, pp, s.ports.size(), kMaxSlicePorts);
  std::set<std::string> names;
  for (size_t i = 0; i < s.ports.size(); ++i) {
    const SlicePort& port = s.ports[i];
    std::string name = port.name.value_or("");
    if (!name.empty()) report_invalid(d, pp.index(i).child("name"), name, is_dns1123_label(name));
    if (!names.insert(name).second) d.duplicate(pp.index(i).child("name"), name);
    if (!port.protocol)
      d.required(pp.index(i).child("protocol"));
    else
      check_protocol(*port.protocol, pp.index(i).child("protocol"), d);
    if (port.port) report_invalid(d, pp.index(i).child("port"), *port.port, is_valid_port_num(*port.port));
    if (port.app_protocol)
      report_invalid(d, pp.index(i).child("appProtocol"), *port.app_protocol,
                     is_qualified_name(*port.app_protocol));
  }
}

}  // namespace

void validate_endpoints(const Endpoints& o, Diagnostics& d) {
  validate_object_meta(o.metadata, FieldPath("metadata"), d, NameRule::dns1123_subdomain, "Endpoints", true);
  FieldPath sp("subsets");
  for (size_t i = 0; i < o.subsets.size(); ++i) {
    const EndpointSubset& ss = o.subsets[i];
    FieldPath ip = sp.index(i);
    if (ss.addresses.empty() && ss.not_ready_addresses.empty())
      d.required(ip, "must specify `addresses` or `notReadyAddresses`");
    for (size_t j = 0; j < ss.addresses.size(); ++j)
      check_address(ss.addresses[j], ip.child("addresses").index(j), d);
    for (size_t j = 0; j < ss.not_ready_addresses.size(); ++j)
      check_address(ss.not_ready_addresses[j], ip.child("notReadyAddresses").index(j), d);
    for (size_t j = 0; j < ss.ports.size(); ++j)
      check_port(ss.ports[j], ss.ports.size() > 1, ip.child("ports").index(j), d);
  }
}

void validate_endpoint_slice(const EndpointSlice& o, Diagnostics& d) {
  validate_object_meta(o.metadata, FieldPath("metadata"), d, NameRule::dns1123_subdomain, "EndpointSlice",
                       true);
  if (o.address_type.empty())
    d.required(FieldPath("addressType"));
  else if (o.address_type != "IPv4" && o.address_type != "IPv6" && o.address_type != "FQDN")
    d.unsupported(FieldPath("addressType"), o.address_type, {"FQDN", "IPv4", "IPv6"});
  check_slice_endpoints(o, d);
  check_slice_ports(o, d);
}

}  // namespace skiff::manifest
