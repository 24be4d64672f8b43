// Endpoints (core/v1) and EndpointSlice (discovery.k8s.io/v1): what the controllers write reads back
// unchanged, with the API server's defaults, and what a user applies is validated with its messages.
#include <gtest/gtest.h>

#include "manifest_test_util.hpp"

namespace skiff::manifest {
namespace {

using test::errors_of;
using test::parse_one;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const char* kSlice = R"(apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc12
  namespace: shop
  labels: {kubernetes.io/service-name: web, endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io}
addressType: IPv4
endpoints:
- addresses: [10.88.0.5]
  conditions: {ready: false, serving: true, terminating: true}
  hostname: web-0
  nodeName: node1
  targetRef: {kind: Pod, namespace: shop, name: web-0, uid: u1}
ports:
- port: 8080
)";

TEST(ManifestEndpointSlice, ReadsWithDefaultsAndWritesAsTheApiServer) {
  EndpointSlice s = parse_one<EndpointSlice>(kSlice);
  ASSERT_EQ(s.endpoints.size(), 1u);
  EXPECT_EQ(s.endpoints[0].conditions.ready, false);
  EXPECT_EQ(s.endpoints[0].conditions.serving, true);
  EXPECT_EQ(s.endpoints[0].target_ref->name, "web-0");
  ASSERT_EQ(s.ports.size(), 1u);
  EXPECT_EQ(s.ports[0].name, "") << "SetDefaults_EndpointPort: an unnamed port is named \"\"";
  EXPECT_EQ(s.ports[0].protocol, "TCP");
  nlohmann::json j = to_json(Object(s));
  EXPECT_EQ(j["apiVersion"], "discovery.k8s.io/v1");
  EXPECT_EQ(j["kind"], "EndpointSlice");
  EXPECT_EQ(j["ports"][0]["name"], "") << "name is a pointer upstream: \"\" is written";
  EXPECT_EQ(j["endpoints"][0]["conditions"]["ready"], false) << "ready: false is written, not omitted";
  EXPECT_FALSE(j["endpoints"][0].contains("zone"));
  Object back = object_from_json(j);
  EXPECT_EQ(std::get<EndpointSlice>(back), s);
  // No endpoints: the list is written empty, as the controller writes a slice for a Service with none.
  EndpointSlice empty;
  empty.metadata.name = "x";
  empty.address_type = "IPv4";
  EXPECT_TRUE(to_json(Object(empty))["endpoints"].is_array());
}

TEST(ManifestEndpointSlice, Validation) {
  std::string base = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s}\n";
  EXPECT_TRUE(has(errors_of(base + "endpoints: []\n"), "addressType: Required value")) << errors_of(base);
  EXPECT_TRUE(has(errors_of(base + "addressType: IPX\nendpoints: []\n"),
                  "addressType: Unsupported value: \"IPX\": supported values: \"FQDN\", \"IPv4\", \"IPv6\""));
  std::string e = errors_of(base +
                            "addressType: IPv4\nendpoints:\n- addresses: []\n- addresses: [10.1.2]\n"
                            "- addresses: [127.0.0.1]\n- addresses: [169.254.1.1]\n");
  EXPECT_TRUE(has(e, "endpoints[0].addresses: Required value: must contain at least 1 address")) << e;
  EXPECT_TRUE(has(e, "endpoints[1].addresses[0]: Invalid value: \"10.1.2\": must be a valid IPv4 address"))
      << e;
  EXPECT_TRUE(
      has(e, "endpoints[2].addresses[0]: Invalid value: \"127.0.0.1\": may not be in the loopback range"))
      << e;
  EXPECT_TRUE(
      has(e, "endpoints[3].addresses[0]: Invalid value: \"169.254.1.1\": may not be in the link-local"))
      << e;
  e = errors_of(base +
                "addressType: IPv4\nendpoints: []\nports:\n- {name: http, port: 80}\n"
                "- {name: http, port: 81}\n- {name: x, port: 70000, protocol: ICMP}\n");
  EXPECT_TRUE(has(e, "ports[1].name: Duplicate value: \"http\"")) << e;
  EXPECT_TRUE(has(e, "ports[2].protocol: Unsupported value: \"ICMP\"")) << e;
  EXPECT_TRUE(has(e, "ports[2].port: Invalid value: 70000")) << e;
  EXPECT_TRUE(
      has(errors_of(base + "addressType: IPv4\nendpoints:\n- {addresses: [10.0.0.1], hostname: A_b}\n"),
          "endpoints[0].hostname: Invalid value: \"A_b\""));
  EXPECT_TRUE(
      has(errors_of(base + "addressType: IPv4\nendpoints: []\nfoo: 1\n"), "foo: unknown field \"foo\""));
}

TEST(ManifestEndpoints, ReadsWritesAndValidates) {
  Endpoints e = parse_one<Endpoints>(R"(apiVersion: v1
kind: Endpoints
metadata: {name: db, namespace: shop}
subsets:
- addresses: [{ip: 192.168.1.20}]
  notReadyAddresses: [{ip: 192.168.1.21, hostname: db-1}]
  ports: [{port: 5432}]
)");
  ASSERT_EQ(e.subsets.size(), 1u);
  EXPECT_EQ(e.subsets[0].ports[0].protocol, "TCP");
  nlohmann::json j = to_json(Object(e));
  EXPECT_EQ(j["subsets"][0]["notReadyAddresses"][0]["hostname"], "db-1");
  EXPECT_FALSE(j["subsets"][0]["ports"][0].contains("name"));
  EXPECT_EQ(std::get<Endpoints>(object_from_json(j)), e);
  Endpoints none;
  none.metadata.name = "x";
  EXPECT_FALSE(to_json(Object(none)).contains("subsets")) << "no endpoints: subsets omitted, as upstream";

  std::string base = "apiVersion: v1\nkind: Endpoints\nmetadata: {name: db}\n";
  std::string err = errors_of(base + "subsets:\n- ports: [{port: 1}]\n");
  EXPECT_TRUE(has(err, "subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`")) << err;
  err = errors_of(base +
                  "subsets:\n- addresses: [{ip: nope}, {ip: 0.0.0.0}]\n  ports: [{port: 1}, {port: 2}]\n");
  EXPECT_TRUE(has(err, "subsets[0].addresses[0].ip: Invalid value: \"nope\": must be a valid IP address"))
      << err;
  EXPECT_TRUE(has(err, "subsets[0].addresses[1].ip: Invalid value: \"0.0.0.0\": may not be unspecified"))
      << err;
  EXPECT_TRUE(has(err, "subsets[0].ports[0].name: Required value")) << err;
}

TEST(ManifestEndpointSlice, AddressTypeIsImmutable) {
  EndpointSlice a = parse_one<EndpointSlice>(kSlice), b = a;
  b.address_type = "IPv6";
  b.endpoints.clear();
  Diagnostics d;
  validate_update(Object(a), Object(b), d);
  EXPECT_TRUE(has(d.error_text(), "addressType: Invalid value: \"IPv6\": field is immutable"))
      << d.error_text();
}

}  // namespace
}  // namespace skiff::manifest
