#include "service_spec.hpp"

#include <nlohmann/json.hpp>
#include <set>

#include "error.hpp"

namespace skiff::net {

std::string to_string(ServiceType t) {
  switch (t) {
    case ServiceType::cluster_ip:
      return "ClusterIP";
    case ServiceType::node_port:
      return "NodePort";
    case ServiceType::load_balancer:
      return "LoadBalancer";
  }
  return "?";
}

std::string port_key(const ServicePort& p) {
  return std::string(p.protocol == Proto::tcp ? "tcp/" : "udp/") + std::to_string(p.port);
}

static std::string port_label(const ServicePort& p) {
  return p.name.empty() ? port_key(p) : "\"" + p.name + "\" (" + port_key(p) + ")";
}

// The name becomes part of nftables chain and set names, which allow [A-Za-z0-9/_.-]: Kubernetes'
// namespace and object names ([a-z0-9.-]) joined by one '/' fit, and nothing else may sneak in.
static void validate_name(const std::string& n) {
  bool ok = !n.empty() && n.size() <= 160 && n.front() != '/' && n.back() != '/';
  int slashes = 0;
  for (char c : n) {
    if (c == '/') ++slashes;
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '/');
  }
  if (!ok || slashes > 1)
    throw Error("invalid service name \"" + n +
                "\": use NAME or NAMESPACE/NAME of lower-case letters, digits, '-' and '.' (at most 160)");
}

static void validate_ports(const ServiceSpec& s, const ServiceRanges& r, const std::string& what) {
  if (s.ports.empty()) throw Error(what + ": no ports (a Service that is not headless needs at least one)");
  std::set<std::string> names, keys;
  for (const auto& p : s.ports) {
    if (p.port == 0) throw Error(what + ": port " + port_label(p) + " is not a port (1-65535)");
    if (s.ports.size() > 1 && p.name.empty())
      throw Error(what + ": port " + port_key(p) + " needs a name (a Service with several ports names each)");
    if (!names.insert(p.name).second) throw Error(what + ": port name \"" + p.name + "\" is given twice");
    if (!keys.insert(port_key(p)).second) throw Error(what + ": port " + port_key(p) + " is given twice");
    if (p.node_port != 0) {
      if (s.type == ServiceType::cluster_ip)
        throw Error(what + ": port " + port_label(p) + " has nodePort " + std::to_string(p.node_port) +
                    ", which a ClusterIP service may not have");
      if (p.node_port < r.node_port_min || p.node_port > r.node_port_max)
        throw Error(what + ": nodePort " + std::to_string(p.node_port) + " of port " + port_label(p) +
                    " is out of the NodePort range " + std::to_string(r.node_port_min) + "-" +
                    std::to_string(r.node_port_max));
    }
  }
}

static void validate_endpoints(const ServiceSpec& s, const ServiceRanges& r, const std::string& what) {
  std::set<std::string> port_names;
  for (const auto& p : s.ports) port_names.insert(p.name);
  static const Ipv4Net loopback{{0x7f000000}, 8}, link_local{{0xa9fe0000}, 16}, any{{0}, 8},
      multicast{{0xe0000000}, 4};
  std::set<Ipv4Addr> seen;
  for (const auto& e : s.endpoints) {
    const Ipv4Addr a = e.address;
    // Kubernetes refuses these as endpoint addresses: nothing on them is a pod another host reaches.
    if (loopback.contains(a) || link_local.contains(a) || any.contains(a) || multicast.contains(a) ||
        a.value == 0xffffffff)
      throw Error(what + ": endpoint " + a.str() + " is not a usable endpoint address");
    if (r.service_cidr.contains(a))
      throw Error(what + ": endpoint " + a.str() + " is inside the service range " + r.service_cidr.str());
    if (!seen.insert(a).second) throw Error(what + ": endpoint " + a.str() + " is given twice");
    for (const auto& [name, port] : e.ports) {
      if (!port_names.count(name))
        throw Error(what + ": endpoint " + a.str() + " has a port for \"" + name +
                    "\", which the service does not have");
      if (port == 0) throw Error(what + ": endpoint " + a.str() + " port \"" + name + "\" is 0 (1-65535)");
    }
  }
}

void validate_service(const ServiceSpec& s, const ServiceRanges& r) {
  validate_name(s.name);
  const std::string what = "service " + s.name;
  if (s.headless) {
    if (s.type != ServiceType::cluster_ip)
      throw Error(what + ": a headless service (clusterIP: None) is ClusterIP");
    if (s.cluster_ip) throw Error(what + ": headless, yet a cluster IP is given");
    for (const auto& p : s.ports)
      if (p.port == 0) throw Error(what + ": port " + port_label(p) + " is not a port (1-65535)");
    return;
  }
  validate_ports(s, r, what);
  if (s.cluster_ip) {
    const Ipv4Addr ip = *s.cluster_ip;
    if (!r.service_cidr.contains(ip))
      throw Error(what + ": cluster IP " + ip.str() + " is not in the service range " + r.service_cidr.str());
    if (ip == r.service_cidr.network() || ip == r.service_cidr.broadcast())
      throw Error(what + ": cluster IP " + ip.str() + " is the service range's network or broadcast address");
  }
  if (s.affinity_timeout_s > kMaxAffinityTimeout)
    throw Error(what + ": session affinity timeout " + std::to_string(s.affinity_timeout_s) +
                " s is out of range (1-" + std::to_string(kMaxAffinityTimeout) + ")");
  if (s.external_policy == TrafficPolicy::local && s.type == ServiceType::cluster_ip)
    throw Error(what + ": externalTrafficPolicy Local is for NodePort and LoadBalancer services");
  if (!s.load_balancer_ips.empty() && s.type != ServiceType::load_balancer)
    throw Error(what + ": load balancer addresses are for LoadBalancer services");
  for (const auto& ip : s.load_balancer_ips)
    if (ip.value == 0 || (ip.value >> 24) == 127)
      throw Error(what + ": load balancer address " + ip.str() +
                  " cannot be published on (leave the list empty for every host address)");
  validate_endpoints(s, r, what);
}

UsableEndpoints usable_endpoints(const ServiceSpec& s, const ServicePort& port) {
  UsableEndpoints out;
  auto pick = [&](auto&& wanted) {
    for (const auto& e : s.endpoints) {
      auto it = e.ports.find(port.name);
      if (it != e.ports.end() && wanted(e)) out.endpoints.push_back({e.address, it->second});
    }
  };
  pick([](const ServiceEndpoint& e) { return e.ready; });
  if (out.endpoints.empty()) {
    pick([](const ServiceEndpoint& e) { return e.serving && e.terminating; });
    out.terminating_fallback = !out.endpoints.empty();
  }
  return out;
}

// --- JSON ---

static std::string proto_name(Proto p) {
  return p == Proto::tcp ? "TCP" : "UDP";
}

static Ipv4Addr json_ip(const nlohmann::json& j, const std::string& what) {
  auto ip = parse_ipv4(j.get<std::string>());
  if (!ip) throw Error(what + " \"" + j.get<std::string>() + "\" is not an IPv4 address");
  return *ip;
}

void to_json(nlohmann::json& j, const ServiceEndpoint& e) {
  j = {{"address", e.address.str()},
       {"ports", e.ports},
       {"ready", e.ready},
       {"serving", e.serving},
       {"terminating", e.terminating}};
}

void from_json(const nlohmann::json& j, ServiceEndpoint& e) {
  e.address = json_ip(j.at("address"), "endpoint address");
  e.ports.clear();
  const nlohmann::json ports = j.value("ports", nlohmann::json::object());
  for (const auto& [name, port] : ports.items()) {
    int v = port.get<int>();
    if (v <= 0 || v > 65535)
      throw Error("endpoint " + e.address.str() + " port \"" + name + "\" is not a port (1-65535)");
    e.ports[name] = static_cast<uint16_t>(v);
  }
  e.ready = j.value("ready", true);
  // EndpointSlice: serving defaults to ready's value when a producer does not say.
  e.serving = j.value("serving", e.ready);
  e.terminating = j.value("terminating", false);
}

void to_json(nlohmann::json& j, const ServiceSpec& s) {
  j = nlohmann::json{{"name", s.name}, {"type", to_string(s.type)}};
  if (s.headless)
    j["clusterIP"] = "None";
  else if (s.cluster_ip)
    j["clusterIP"] = s.cluster_ip->str();
  auto& ports = j["ports"] = nlohmann::json::array();
  for (const auto& p : s.ports) {
    nlohmann::json pj{{"name", p.name}, {"protocol", proto_name(p.protocol)}, {"port", p.port}};
    if (p.node_port) pj["nodePort"] = p.node_port;
    ports.push_back(pj);
  }
  if (s.affinity_timeout_s) j["sessionAffinityTimeoutSeconds"] = s.affinity_timeout_s;
  if (s.external_policy == TrafficPolicy::local) j["externalTrafficPolicy"] = "Local";
  if (!s.load_balancer_ips.empty()) {
    auto& lb = j["loadBalancerIPs"] = nlohmann::json::array();
    for (const auto& ip : s.load_balancer_ips) lb.push_back(ip.str());
  }
  j["endpoints"] = s.endpoints;
}

static uint16_t json_port(const nlohmann::json& j, const char* key, const std::string& what) {
  if (!j.contains(key)) return 0;
  int v = j.at(key).get<int>();
  if (v < 0 || v > 65535)
    throw Error(what + ": " + key + " " + std::to_string(v) + " is not a port (1-65535)");
  return static_cast<uint16_t>(v);
}

void from_json(const nlohmann::json& j, ServiceSpec& s) {
  s = ServiceSpec{};
  s.name = j.at("name").get<std::string>();
  const std::string what = "service " + s.name;
  std::string type = j.value("type", "ClusterIP");
  if (type == "ClusterIP")
    s.type = ServiceType::cluster_ip;
  else if (type == "NodePort")
    s.type = ServiceType::node_port;
  else if (type == "LoadBalancer")
    s.type = ServiceType::load_balancer;
  else
    throw Error(what + ": type \"" + type + "\" is not ClusterIP, NodePort or LoadBalancer");
  if (j.contains("clusterIP")) {
    std::string cip = j.at("clusterIP").get<std::string>();
    if (cip == "None")
      s.headless = true;
    else if (!cip.empty())
      s.cluster_ip = json_ip(j.at("clusterIP"), what + ": cluster IP");
  }
  for (const auto& pj : j.value("ports", nlohmann::json::array())) {
    ServicePort p;
    p.name = pj.value("name", "");
    std::string proto = pj.value("protocol", "TCP");
    if (proto == "TCP")
      p.protocol = Proto::tcp;
    else if (proto == "UDP")
      p.protocol = Proto::udp;
    else
      throw Error(what + ": protocol \"" + proto + "\" is not TCP or UDP");
    p.port = json_port(pj, "port", what);
    p.node_port = json_port(pj, "nodePort", what);
    s.ports.push_back(p);
  }
  s.affinity_timeout_s = j.value("sessionAffinityTimeoutSeconds", 0u);
  std::string policy = j.value("externalTrafficPolicy", "Cluster");
  if (policy == "Local")
    s.external_policy = TrafficPolicy::local;
  else if (policy != "Cluster")
    throw Error(what + ": externalTrafficPolicy \"" + policy + "\" is not Cluster or Local");
  for (const auto& ip : j.value("loadBalancerIPs", nlohmann::json::array()))
    s.load_balancer_ips.push_back(json_ip(ip, what + ": load balancer address"));
  s.endpoints = j.value("endpoints", std::vector<ServiceEndpoint>{});
}

}  // namespace skiff::net
