// ServiceProxy: Kubernetes Services on this host, kube-proxy's semantics in one nftables table
// (`ip skiff-services`, service_ruleset.hpp), as the data path under skiff's Service controller.
//
// What it gives, per Service (service_spec.hpp describes one):
//   - a cluster IP from the service range (default 10.96.0.0/16), kept across restarts;
//   - connections from pods (through the bridge) and from the host to VIP:port DNAT'd to one of the
//     usable endpoints, at random (`numgen random`), or to the client's previous one while its
//     ClientIP affinity lasts; a pod reaching its own Service is masqueraded (hairpin);
//   - no usable endpoint: a connection is refused at once (TCP reset, ICMP port unreachable);
//   - NodePort: the node port on every host address but 127/8; LoadBalancer: a node port too, and the
//     service port on the given host addresses (or on all of them), as k3s's ServiceLB publishes it;
//     externalTrafficPolicy Cluster masquerades those connections, Local keeps the client's address;
//   - headless Services get no rules (their names resolve to the pods);
//   - UDP: entries to a removed endpoint are flushed from conntrack, so clients move on;
//   - a host with no route covering the service range (no default route: an offline device) gets
//     one through a skiff bridge, or the host's own connections to a VIP could not even start; it
//     goes when a real one appears and at teardown.
//
// Use (one proxy per host; it holds <state_dir>/lock for its life, so a second one fails):
//   ServiceProxy proxy;                        // or ServiceProxy({.state_dir = ..., .ranges = ...})
//   proxy.sync(all_services);                  // at start: the full desired state (repairs anything)
//   proxy.apply(service);                      // a Service added or changed
//   proxy.update_endpoints("shop/web", eps);   // readiness changed: the fast path, ~1 ms
//   proxy.remove("shop/web");                  // gone: its rules, elements and allocations
//   proxy.teardown();                          // shutdown: the table goes (allocations stay)
// Every change is one nftables transaction: a packet sees the old rules or the new ones, never half.
// A change touches only that Service's chains, sets and map elements; the others' affinity entries
// and conntrack state are untouched. A failed call (bad input, a conflict) throws skiff::Error with
// one line naming the Service and the field, and changes nothing, neither rules nor allocations.
// After a crash between calls, the next sync() (idempotent from the full state) repairs the table.
//
// Needs root (CAP_NET_ADMIN) in the host's network namespace, as bridge networking does. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "file_lock.hpp"
#include "netlink.hpp"
#include "nft.hpp"
#include "service_allocator.hpp"
#include "service_ruleset.hpp"
#include "service_spec.hpp"

namespace skiff::net {

// rtm_protocol of the service-range route, so that it is found again and told from the admin's.
inline constexpr uint8_t kServiceRouteProtocol = 115;

struct ServiceProxyOptions {
  // Allocations (services.json) and the lock. Default: $SKIFF_SERVICE_STATE_DIR, else
  // /var/lib/skiff/services.
  std::string state_dir;
  ServiceRanges ranges;
  // skiff's bridge networks (NetworkStore's state): a service range overlapping one's subnet is
  // refused; their attachments say which bridge port an endpoint is behind (it gets hairpin mode, so
  // a pod can reach itself through its Service with bridge-netfilter on); a bridge carries the
  // service-range route where the host has none. Default: NetworkStore's default.
  std::string network_state_dir;
};

struct ServicePortStatus {
  ServicePort port;                       // node_port filled in with the allocated one
  std::vector<UsableEndpoint> endpoints;  // who gets new connections
  bool terminating_fallback = false;      // none is ready: serving-terminating endpoints are used
};

struct ServiceStatus {
  std::string name;
  ServiceType type = ServiceType::cluster_ip;
  bool headless = false;
  Ipv4Addr cluster_ip{};
  std::vector<ServicePortStatus> ports;
};

class ServiceProxy {
 public:
  static std::string default_state_dir();

  // Takes the lock, loads the allocations, and refuses a service range that overlaps a network's
  // subnet or an address of the host. Touches no rule yet.
  explicit ServiceProxy(ServiceProxyOptions options = {});
  ~ServiceProxy();
  ServiceProxy(const ServiceProxy&) = delete;
  ServiceProxy& operator=(const ServiceProxy&) = delete;

  // The full desired state: exactly these Services (names unique), each allocated and programmed,
  // everything else of the table removed (a Service not listed loses its allocations too). Also
  // repairs what a crash or a hand left. All or nothing.
  std::vector<ServiceStatus> sync(const std::vector<ServiceSpec>& services);
  // Adds or changes one Service. Requires a sync() earlier in this process (it knows the rest).
  ServiceStatus apply(const ServiceSpec& service);
  // The fast path: a known Service's endpoints (or their readiness) changed.
  ServiceStatus update_endpoints(const std::string& name, const std::vector<ServiceEndpoint>& endpoints);
  // Removes one Service: its rules, elements and allocations. False if it was not there.
  bool remove(const std::string& name);
  // Deletes the whole table (nothing of it is left). Allocations stay for the next start; sync()
  // brings the rules back.
  void teardown();

  std::optional<ServiceStatus> status(const std::string& name) const;
  std::vector<ServiceStatus> list() const;
  const ServiceRanges& ranges() const { return options_.ranges; }

 private:
  struct Change;
  void require_synced(const char* what) const;
  const NlSocket& host();
  void check_networks();
  void check_host_claims(const std::map<std::string, ProgrammedService>& all,
                         const std::map<std::string, ProgrammedService>& before) const;
  ProgrammedService allocate(ServiceAllocator& alloc, const ServiceSpec& spec);
  void run(const std::string& script);
  // The rules are in place: hairpin mode for new endpoints, the service-range route (not for an
  // endpoints-only change: it cannot change the route), stale UDP conntrack entries.
  void after_change(const std::vector<const ProgrammedService*>& changed,
                    const std::vector<const ProgrammedService*>& removed, bool endpoints_only = false);
  void ensure_hairpin(const ServiceSpec& s);
  void ensure_service_route();
  void flush_stale_udp(const std::vector<const ProgrammedService*>& changed,
                       const std::vector<const ProgrammedService*>& removed);
  ServiceStatus make_status(const ProgrammedService& p) const;

  ServiceProxyOptions options_;
  FileLock lock_;
  ServiceAllocator allocator_;
  std::unique_ptr<NftContext> nft_;
  std::unique_ptr<NlSocket> host_;
  bool synced_ = false;
  std::map<std::string, ProgrammedService> programmed_;
  std::map<std::string, ServiceObjects> objects_;
  // Endpoint address -> the bridge port given hairpin mode for it (pruned as endpoints go).
  std::map<Ipv4Addr, std::string> hairpin_;
  int route_ifindex_ = 0;  // the link our service-range route goes through (0: none of ours)
};

}  // namespace skiff::net
