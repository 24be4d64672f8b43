// The `ip skiff-services` nftables table: kube-proxy's nftables mode (pkg/proxy/nftables) for one
// node, rendered as nft scripts that run as one transaction each. Pure: no kernel access here.
//
// Layout (names as kube-proxy's where it has them):
//   nat-prerouting, nat-output (dstnat)   -> services: `ip daddr . proto . port vmap @service-ips`
//                                            (cluster IPs, load balancer addresses), and for every
//                                            local address but 127/8 `proto . port vmap
//                                            @service-nodeports` (node ports, and LoadBalancer ports
//                                            published on every host address)
//   filter-input/forward/output (-110, so before DNAT) -> endpoints-check: the same keys in
//                                            @no-endpoint-services / @no-endpoint-nodeports go to
//                                            reject-chain (TCP reset, else ICMP port unreachable)
//   filter-forward-late/output-late (filter) -> what is still addressed to the service range after
//                                            DNAT (an address or port no Service has) is rejected too
//   nat-postrouting (srcnat)               -> masquerading: packets marked by mark-for-masquerade
// Per Service port (K = name/proto/port):
//   svc-K   affinity (`ip saddr @aff-… goto ep-…`); then `numgen random mod N vmap { i : goto ep-… }`
//   ext-K   NodePort/LoadBalancer entry: Cluster policy masquerades all; Local only the host's own
//           traffic (the client's address is kept); then goto svc-K
//   ep-K__IP/PORT   hairpin (a pod reaching itself is masqueraded), affinity update, DNAT
//   aff-K__IP/PORT  set of client addresses stuck to that endpoint (timeout = the affinity timeout)
// Map elements always carry the same verdict for a key (svc-K, ext-K or reject-chain), so a change
// can add or delete them without knowing what the kernel holds.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "service_allocator.hpp"
#include "service_spec.hpp"

namespace skiff::net {

inline constexpr const char* kServiceTable = "skiff-services";
// The packet mark bit meaning "masquerade this flow" between DNAT and postrouting (kube-proxy uses
// 0x4000, CNI's portmap and netavark 0x2000: a bit of our own). Cleared again before masquerading.
inline constexpr uint32_t kServiceMasqueradeMark = 0x00040000;

// A Service as programmed: its spec and what the allocator gave it.
struct ProgrammedService {
  ServiceSpec spec;
  ServiceAllocation alloc;
};

struct NftChain {
  std::string name;
  std::vector<std::string> rules;
  bool operator==(const NftChain&) const = default;
};
struct NftElement {
  std::string map, key, value;
  bool operator==(const NftElement&) const = default;
};

// Every nft object one Service owns in the table.
struct ServiceObjects {
  std::map<std::string, uint32_t> affinity_sets;  // set name -> timeout (s)
  std::vector<NftChain> chains;                   // creation order: a chain before those jumping to it
  std::vector<NftElement> elements;
};

ServiceObjects plan_service(const ProgrammedService& s);

// The table's own part: base chains, fixed chains and maps.
struct ServiceTableBase {
  Ipv4Net service_cidr{};
};

// What a listing found in the table (for a full sync to remove what nobody wants any more).
struct ExistingServiceObjects {
  bool table = false;
  std::set<std::string> service_chains;           // svc-/ext-/ep- chains
  std::map<std::string, uint32_t> affinity_sets;  // aff- sets -> timeout
};
// Parses `nft -j list table ip skiff-services` output.
ExistingServiceObjects parse_existing(const std::string& json);

// The whole table from the full desired state, replacing whatever `existing` holds, keeping the
// affinity sets (their clients) that still exist with the same timeout.
std::string render_full_sync(const ServiceTableBase& base, const std::vector<ServiceObjects>& services,
                             const ExistingServiceObjects& existing);
// One Service's change: `before` (what was programmed; empty for a new Service) -> `after` (empty
// for a removed one). Touches only that Service's chains, sets and elements.
std::string render_service_update(const ServiceObjects& before, const ServiceObjects& after);
// Deletes the table (valid whether or not it exists).
std::string render_teardown();

}  // namespace skiff::net
