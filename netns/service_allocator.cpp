#include "service_allocator.hpp"

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "file_util.hpp"

namespace skiff::net {

ServiceAllocator::ServiceAllocator(std::string path, ServiceRanges ranges)
    : path_(std::move(path)), ranges_(ranges) {
  std::string text;
  try {
    text = read_file(path_);
  } catch (const Error& e) {
    if (e.err() == ENOENT) return;
    throw;
  }
  try {
    auto j = nlohmann::json::parse(text);
    for (const auto& [name, a] : j.at("services").items()) {
      ServiceAllocation sa;
      std::string cip = a.value("clusterIP", "");
      if (!cip.empty()) {
        auto ip = parse_ipv4(cip);
        if (!ip) throw Error("cluster IP \"" + cip + "\" of " + name + " is not an address");
        // Kept only while it is still inside the range (the range may have changed since).
        if (ranges_.service_cidr.contains(*ip)) sa.cluster_ip = *ip;
      }
      const nlohmann::json node_ports = a.value("nodePorts", nlohmann::json::object());
      for (const auto& [key, port] : node_ports.items()) {
        int p = port.get<int>();
        if (p >= ranges_.node_port_min && p <= ranges_.node_port_max)
          sa.node_ports[key] = static_cast<uint16_t>(p);
      }
      allocs_[name] = std::move(sa);
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error("corrupt " + path_ + ": " + e.what());
  } catch (const Error& e) {
    throw Error("corrupt " + path_ + ": " + e.what());
  }
}

void ServiceAllocator::save() const {
  nlohmann::json services = nlohmann::json::object();
  for (const auto& [name, a] : allocs_) {
    nlohmann::json j = nlohmann::json::object();
    if (a.cluster_ip.value) j["clusterIP"] = a.cluster_ip.str();
    if (!a.node_ports.empty()) j["nodePorts"] = a.node_ports;
    services[name] = j;
  }
  nlohmann::json doc{{"serviceCIDR", ranges_.service_cidr.str()}, {"services", services}};
  write_file_atomic(path_, doc.dump(1) + "\n", 0600);
}

const ServiceAllocation* ServiceAllocator::find(const std::string& name) const {
  auto it = allocs_.find(name);
  return it == allocs_.end() ? nullptr : &it->second;
}

bool ServiceAllocator::release(const std::string& name) {
  return allocs_.erase(name) > 0;
}

std::string ServiceAllocator::owner_of_ip(Ipv4Addr ip, const std::string& except) const {
  for (const auto& [name, a] : allocs_)
    if (name != except && a.cluster_ip == ip) return name;
  return "";
}

std::string ServiceAllocator::owner_of_node_port(uint16_t port, const std::string& except) const {
  for (const auto& [name, a] : allocs_)
    if (name != except)
      for (const auto& [key, p] : a.node_ports)
        if (p == port) return name;
  return "";
}

Ipv4Addr ServiceAllocator::pick_cluster_ip(const std::string& name) {
  const Ipv4Net& r = ranges_.service_cidr;
  uint32_t first = r.network().value + 1, last = r.broadcast().value - 1;
  if (last < first) throw Error("service range " + r.str() + " has no room for a cluster IP");
  uint32_t n = last - first + 1;
  uint32_t start = std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_);
  for (uint32_t i = 0; i < n; ++i) {
    Ipv4Addr ip{first + (start + i) % n};
    if (owner_of_ip(ip, name).empty()) return ip;
  }
  throw Error(ENOSPC, "service " + name + ": no free cluster IP in " + r.str());
}

uint16_t ServiceAllocator::pick_node_port(const std::string& name, Proto proto,
                                          const std::map<std::string, uint16_t>& mine,
                                          const PortProbe& host_port_free) {
  uint32_t lo = ranges_.node_port_min, n = ranges_.node_port_max - lo + 1u;
  uint32_t start = std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_);
  for (uint32_t i = 0; i < n; ++i) {
    auto port = static_cast<uint16_t>(lo + (start + i) % n);
    bool used_by_me = false;
    for (const auto& [k, p] : mine) used_by_me = used_by_me || p == port;
    if (used_by_me || !owner_of_node_port(port, name).empty()) continue;
    if (host_port_free && !host_port_free(proto, port)) continue;
    return port;
  }
  throw Error(ENOSPC, "service " + name + ": no free node port in " + std::to_string(ranges_.node_port_min) +
                          "-" + std::to_string(ranges_.node_port_max));
}

ServiceAllocation ServiceAllocator::assign(const ServiceSpec& s, const PortProbe& host_port_free) {
  const ServiceAllocation* old = find(s.name);
  ServiceAllocation a;
  if (!s.headless) {
    if (s.cluster_ip) {
      if (auto owner = owner_of_ip(*s.cluster_ip, s.name); !owner.empty())
        throw Error("service " + s.name + ": cluster IP " + s.cluster_ip->str() +
                    " is already allocated to service " + owner);
      a.cluster_ip = *s.cluster_ip;
    } else if (old && old->cluster_ip.value) {
      a.cluster_ip = old->cluster_ip;
    } else {
      a.cluster_ip = pick_cluster_ip(s.name);
    }
  }
  if (s.type != ServiceType::cluster_ip && !s.headless) {
    // Asked-for ports first, so that an allocated one never takes a port another port of the same
    // Service asks for.
    for (const auto& p : s.ports) {
      if (!p.node_port) continue;
      if (auto owner = owner_of_node_port(p.node_port, s.name); !owner.empty())
        throw Error("service " + s.name + ": nodePort " + std::to_string(p.node_port) + " of port " +
                    port_key(p) + " is already allocated to service " + owner);
      bool had = old && old->node_ports.count(port_key(p)) && old->node_ports.at(port_key(p)) == p.node_port;
      if (!had && host_port_free && !host_port_free(p.protocol, p.node_port))
        throw Error("service " + s.name + ": nodePort " + std::to_string(p.node_port) + "/" +
                    (p.protocol == Proto::tcp ? "tcp" : "udp") + " is in use by a socket on the host");
      a.node_ports[port_key(p)] = p.node_port;
    }
    for (const auto& p : s.ports) {
      if (p.node_port) continue;
      const std::string key = port_key(p);
      uint16_t kept = 0;
      if (old && old->node_ports.count(key)) kept = old->node_ports.at(key);
      for (const auto& [k, v] : a.node_ports) kept = v == kept && k != key ? 0 : kept;  // taken by a sibling
      a.node_ports[key] = kept ? kept : pick_node_port(s.name, p.protocol, a.node_ports, host_port_free);
    }
  }
  allocs_[s.name] = a;
  return a;
}

}  // namespace skiff::net
