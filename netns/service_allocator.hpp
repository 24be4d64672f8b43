// Which cluster IP and which node ports belong to which Service, persisted in one JSON file with
// atomic writes, so a Service keeps its VIP and node ports across restarts of the supervisor (clients
// and DNS answers hold them) and two Services never get the same one.
//
// Kubernetes' rules: a Service asking for a cluster IP or node port gets it if it is inside the range
// and not another Service's, else a clear error; one asking for none gets a random free one (random,
// so a deleted Service's address is not at once reused under its old clients). A node port number
// belongs to one Service (its TCP and UDP ports may share it). Allocations outside the current
// ranges (the range was changed) are dropped on load, and those Services get new ones.
#pragma once

#include <functional>
#include <map>
#include <random>
#include <string>

#include "service_spec.hpp"

namespace skiff::net {

struct ServiceAllocation {
  Ipv4Addr cluster_ip{};                       // 0.0.0.0 for a headless Service
  std::map<std::string, uint16_t> node_ports;  // port_key() -> node port
  bool operator==(const ServiceAllocation&) const = default;
};

class ServiceAllocator {
 public:
  // Whether a node port is free on the host (no socket bound to it): auto-allocation skips ports a
  // host program holds, since the DNAT would shadow it.
  using PortProbe = std::function<bool(Proto, uint16_t)>;

  // Loads `path` (a missing file is an empty allocator). Throws on a corrupt file.
  ServiceAllocator(std::string path, ServiceRanges ranges);

  // The allocation `s` gets: what it had (if it still fits its spec), what it asks for, or new free
  // ones. Recorded in memory only (save() writes). Throws naming the conflict; nothing changes then.
  ServiceAllocation assign(const ServiceSpec& s, const PortProbe& host_port_free);
  // Forgets a Service's allocations (false if it had none).
  bool release(const std::string& name);
  const ServiceAllocation* find(const std::string& name) const;
  const std::map<std::string, ServiceAllocation>& all() const { return allocs_; }
  const ServiceRanges& ranges() const { return ranges_; }

  void save() const;

 private:
  std::string owner_of_ip(Ipv4Addr ip, const std::string& except) const;
  std::string owner_of_node_port(uint16_t port, const std::string& except) const;
  Ipv4Addr pick_cluster_ip(const std::string& name);
  uint16_t pick_node_port(const std::string& name, Proto proto, const std::map<std::string, uint16_t>& mine,
                          const PortProbe& host_port_free);

  std::string path_;
  ServiceRanges ranges_;
  std::map<std::string, ServiceAllocation> allocs_;
  std::mt19937 rng_{std::random_device{}()};
};

}  // namespace skiff::net
