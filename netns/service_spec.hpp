// The neutral description of Services that the service proxy (service_proxy.hpp) programs: what a
// Kubernetes Service and its EndpointSlices say, reduced to what the data path needs. Nothing here
// knows of pods, selectors or manifests: the caller resolves those (a Service's targetPort, number or
// a container port's name, becomes one port number per endpoint).
//
// A Service in Kubernetes terms, and where each field goes:
//   metadata.namespace/name          ServiceSpec::name ("shop/web", or "web")
//   spec.type                        ServiceSpec::type
//   spec.clusterIP                   ServiceSpec::cluster_ip (unset: allocated; "None": headless)
//   spec.ports[]                     ServiceSpec::ports (name, protocol, port, nodePort)
//   spec.ports[].targetPort          ServiceEndpoint::ports[port name], resolved per endpoint
//   spec.sessionAffinity(+Config)    ServiceSpec::affinity_timeout_s (0: None)
//   spec.externalTrafficPolicy       ServiceSpec::external_policy
//   status.loadBalancer.ingress      ServiceSpec::load_balancer_ips (the host addresses ServiceLB
//                                    publishes on; empty: every address of the host)
//   EndpointSlice endpoints          ServiceSpec::endpoints (address, conditions ready/serving/terminating)
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ipv4.hpp"
#include "ports.hpp"

namespace skiff::net {

enum class ServiceType { cluster_ip, node_port, load_balancer };
enum class TrafficPolicy { cluster, local };

// Kubernetes' default for sessionAffinityConfig.clientIP.timeoutSeconds (and its maximum, 1 day).
inline constexpr uint32_t kDefaultAffinityTimeout = 10800;
inline constexpr uint32_t kMaxAffinityTimeout = 86400;

struct ServicePort {
  std::string name;  // may be empty when the Service has one port (Kubernetes' rule)
  Proto protocol = Proto::tcp;
  uint16_t port = 0;       // the Service's port, 1-65535
  uint16_t node_port = 0;  // NodePort and LoadBalancer: the one asked for, or 0 to allocate one
};

// One endpoint of an EndpointSlice. EndpointSlice semantics (conditions: KEP-1672; the fallback: KEP-1669):
// `ready` endpoints get traffic; when a Service has none ready, the `serving` && `terminating` ones do (so a
// rollout's last old pod keeps answering while it drains); anything else gets none.
struct ServiceEndpoint {
  Ipv4Addr address{};
  // Service port name -> this endpoint's port for it (targetPort resolved in this pod). An endpoint
  // without an entry for a port (a named targetPort its pod does not have) gets no traffic on it.
  std::map<std::string, uint16_t> ports;
  bool ready = true;
  bool serving = true;
  bool terminating = false;
  bool operator==(const ServiceEndpoint&) const = default;
};

struct ServiceSpec {
  std::string name;  // unique: "namespace/name" or "name"; [a-z0-9.-], one '/' at most, <= 160 chars
  ServiceType type = ServiceType::cluster_ip;
  std::optional<Ipv4Addr> cluster_ip;  // a fixed VIP inside the service range; unset: allocate one
  bool headless = false;               // clusterIP: None: no VIP and no rules (names resolve to pods)
  std::vector<ServicePort> ports;
  uint32_t affinity_timeout_s = 0;  // sessionAffinity: ClientIP with this timeout; 0: None
  TrafficPolicy external_policy = TrafficPolicy::cluster;  // NodePort/LoadBalancer only
  std::vector<Ipv4Addr> load_balancer_ips;                 // LoadBalancer only; empty: every host address
  std::vector<ServiceEndpoint> endpoints;
};

// The service range and NodePort range the proxy allocates from.
struct ServiceRanges {
  Ipv4Net service_cidr = {{0x0a600000}, 16};  // 10.96.0.0/16
  uint16_t node_port_min = 30000;
  uint16_t node_port_max = 32767;
};

// Throws skiff::Error naming the service and the field ("service shop/web: port 0 of \"http\" is not a
// port (1-65535)"). Checks the spec on its own and against the ranges (a fixed cluster IP inside the
// range, node ports inside theirs); conflicts between services are the allocator's to find.
void validate_service(const ServiceSpec& s, const ServiceRanges& ranges);

// The endpoints that get traffic on `port` (EndpointSlice semantics above), in the spec's order.
struct UsableEndpoint {
  Ipv4Addr address{};
  uint16_t port = 0;
  bool operator==(const UsableEndpoint&) const = default;
};
struct UsableEndpoints {
  std::vector<UsableEndpoint> endpoints;
  bool terminating_fallback = false;  // none was ready: these are serving-terminating ones
};
UsableEndpoints usable_endpoints(const ServiceSpec& s, const ServicePort& port);

std::string to_string(ServiceType t);        // "ClusterIP", "NodePort", "LoadBalancer"
std::string port_key(const ServicePort& p);  // "tcp/80": a port's identity inside its service

// JSON with Kubernetes' spelling where there is one ({"name":"shop/web","type":"LoadBalancer",
// "clusterIP":"10.96.0.10","ports":[{"name":"http","protocol":"TCP","port":80,"nodePort":30080}],
// "sessionAffinityTimeoutSeconds":10800,"externalTrafficPolicy":"Local","loadBalancerIPs":[...],
// "endpoints":[{"address":"10.88.0.5","ports":{"http":8080},"ready":true,...}]}), for skiff-network's
// `service sync` and for tests.
void to_json(nlohmann::json& j, const ServiceSpec& s);
void from_json(const nlohmann::json& j, ServiceSpec& s);
void to_json(nlohmann::json& j, const ServiceEndpoint& e);
void from_json(const nlohmann::json& j, ServiceEndpoint& e);

}  // namespace skiff::net
