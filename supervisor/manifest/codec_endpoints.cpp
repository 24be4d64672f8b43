// Field lists of Endpoints and EndpointSlice, in the order and with the omitempty tags of core/v1 and
// discovery/v1.
#include "manifest/codec.hpp"
#include "manifest/types_endpoints.hpp"

namespace skiff::manifest {

SKIFF_FIELDS(ObjectReference) {
  v.type("ObjectReference");
  v("kind", s.kind);
  v("namespace", s.namespace_);
  v("name", s.name);
  v("uid", s.uid);
  v("apiVersion", s.api_version);
  v("resourceVersion", s.resource_version);
  v("fieldPath", s.field_path);
}
SKIFF_FIELDS(EndpointAddress) {
  v.type("EndpointAddress");
  v("ip", s.ip, Emit::always);
  v("hostname", s.hostname);
  v("nodeName", s.node_name);
  v("targetRef", s.target_ref);
}
SKIFF_FIELDS(EndpointPort) {
  v.type("EndpointPort");
  v("name", s.name);
  v("port", s.port, Emit::always);
  v("protocol", s.protocol);
  v("appProtocol", s.app_protocol);
}
SKIFF_FIELDS(EndpointSubset) {
  v.type("EndpointSubset");
  v("addresses", s.addresses);
  v("notReadyAddresses", s.not_ready_addresses);
  v("ports", s.ports);
}
SKIFF_FIELDS(Endpoints) {
  v.type("Endpoints");
  v.accept("apiVersion");
  v.accept("kind");
  v("metadata", s.metadata);
  v("subsets", s.subsets);
}

SKIFF_FIELDS(EndpointConditions) {
  v.type("EndpointConditions");
  v("ready", s.ready);
  v("serving", s.serving);
  v("terminating", s.terminating);
}
SKIFF_FIELDS(ForZone) {
  v.type("ForZone");
  v("name", s.name, Emit::always);
}
SKIFF_FIELDS(ForNode) {
  v.type("ForNode");
  v("name", s.name, Emit::always);
}
SKIFF_FIELDS(EndpointHints) {
  v.type("EndpointHints");
  v("forZones", s.for_zones);
  v("forNodes", s.for_nodes);
}
SKIFF_FIELDS(Endpoint) {
  v.type("Endpoint");
  v("addresses", s.addresses, Emit::always);
  v("conditions", s.conditions);
  v("hostname", s.hostname);
  v("targetRef", s.target_ref);
  v("deprecatedTopology", s.deprecated_topology);
  v("nodeName", s.node_name);
  v("zone", s.zone);
  v("hints", s.hints);
}
SKIFF_FIELDS(SlicePort) {
  v.type("EndpointPort");
  v("name", s.name);
  v("protocol", s.protocol);
  v("port", s.port);
  v("appProtocol", s.app_protocol);
}
SKIFF_FIELDS(EndpointSlice) {
  v.type("EndpointSlice");
  v.accept("apiVersion");
  v.accept("kind");
  v("metadata", s.metadata);
  v("addressType", s.address_type, Emit::always);
  v("endpoints", s.endpoints, Emit::always);
  v("ports", s.ports);
}

}  // namespace skiff::manifest
