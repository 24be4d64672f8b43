// Who backs a Service: core/v1 Endpoints (as the endpoints controller writes them: ready `addresses`,
// `notReadyAddresses`, one subset per set of ports) and discovery.k8s.io/v1 EndpointSlice (as the
// EndpointSlice controller writes them: an endpoint per pod with ready/serving/terminating conditions).
// The supervisor's Service controller writes both; a user may apply either for a Service without a
// selector, as on a cluster.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "manifest/codec_fwd.hpp"
#include "manifest/types_meta.hpp"

namespace skiff::manifest {

// core/v1 ObjectReference: what an endpoint's targetRef names (the pod).
struct ObjectReference {
  std::string kind, namespace_, name, uid, api_version, resource_version, field_path;
  friend bool operator==(const ObjectReference&, const ObjectReference&) = default;
};

// --- core/v1 Endpoints ---
struct EndpointAddress {
  std::string ip, hostname;
  std::optional<std::string> node_name;
  std::optional<ObjectReference> target_ref;
  friend bool operator==(const EndpointAddress&, const EndpointAddress&) = default;
};
struct EndpointPort {
  std::string name;
  int32_t port = 0;
  std::string protocol;
  std::optional<std::string> app_protocol;
  friend bool operator==(const EndpointPort&, const EndpointPort&) = default;
};
struct EndpointSubset {
  std::vector<EndpointAddress> addresses, not_ready_addresses;
  std::vector<EndpointPort> ports;
  friend bool operator==(const EndpointSubset&, const EndpointSubset&) = default;
};
struct Endpoints {
  ObjectMeta metadata;
  std::vector<EndpointSubset> subsets;
  friend bool operator==(const Endpoints&, const Endpoints&) = default;
};

// --- discovery.k8s.io/v1 EndpointSlice ---
struct EndpointConditions {
  std::optional<bool> ready, serving, terminating;
  friend bool operator==(const EndpointConditions&, const EndpointConditions&) = default;
};
struct ForZone {
  std::string name;
  friend bool operator==(const ForZone&, const ForZone&) = default;
};
struct ForNode {
  std::string name;
  friend bool operator==(const ForNode&, const ForNode&) = default;
};
struct EndpointHints {
  std::vector<ForZone> for_zones;
  std::vector<ForNode> for_nodes;
  friend bool operator==(const EndpointHints&, const EndpointHints&) = default;
};
struct Endpoint {
  std::vector<std::string> addresses;
  EndpointConditions conditions;
  std::optional<std::string> hostname;
  std::optional<ObjectReference> target_ref;
  LabelMap deprecated_topology;
  std::optional<std::string> node_name, zone;
  std::optional<EndpointHints> hints;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};
// discovery/v1 EndpointPort: every field a pointer upstream, so an unnamed port is written `name: ""`.
struct SlicePort {
  std::optional<std::string> name, protocol;
  std::optional<int32_t> port;
  std::optional<std::string> app_protocol;
  friend bool operator==(const SlicePort&, const SlicePort&) = default;
};
struct EndpointSlice {
  ObjectMeta metadata;
  std::string address_type;
  std::vector<Endpoint> endpoints;
  std::vector<SlicePort> ports;
  friend bool operator==(const EndpointSlice&, const EndpointSlice&) = default;
};

// The labels the EndpointSlice controller puts on its slices (discovery/v1 well-known labels).
inline constexpr const char* kServiceNameLabel = "kubernetes.io/service-name";
inline constexpr const char* kManagedByLabel = "endpointslice.kubernetes.io/managed-by";
inline constexpr const char* kSliceControllerName = "endpointslice-controller.k8s.io";

SKIFF_MANIFEST_RECORD(ObjectReference)
SKIFF_MANIFEST_RECORD(EndpointAddress)
SKIFF_MANIFEST_RECORD(EndpointPort)
SKIFF_MANIFEST_RECORD(EndpointSubset)
SKIFF_MANIFEST_RECORD(EndpointConditions)
SKIFF_MANIFEST_RECORD(ForZone)
SKIFF_MANIFEST_RECORD(ForNode)
SKIFF_MANIFEST_RECORD(EndpointHints)
SKIFF_MANIFEST_RECORD(Endpoint)
SKIFF_MANIFEST_RECORD(SlicePort)
SKIFF_MANIFEST_RECORD(Endpoints)
SKIFF_MANIFEST_RECORD(EndpointSlice)

}  // namespace skiff::manifest
