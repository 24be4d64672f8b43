// The service proxy's pure parts: validation, EndpointSlice endpoint choice, the allocator and
// the nft scripts it renders (no kernel: these run as any user).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "file_util.hpp"
#include "service_allocator.hpp"
#include "service_ruleset.hpp"
#include "service_spec.hpp"

namespace skiff::net::test {
namespace {

Ipv4Addr ip(const char* s) {
  return *parse_ipv4(s);
}

ServiceSpec web() {
  ServiceSpec s;
  s.name = "shop/web";
  s.ports = {{"http", Proto::tcp, 80, 0}};
  ServiceEndpoint e;
  e.address = ip("10.88.0.5");
  e.ports = {{"http", 8080}};
  s.endpoints = {e};
  return s;
}

std::string error_of(const ServiceSpec& s, const ServiceRanges& r = {}) {
  try {
    validate_service(s, r);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ServiceSpecTest, ValidationNamesTheServiceAndTheField) {
  EXPECT_EQ(error_of(web()), "");
  ServiceSpec s = web();
  s.ports[0].port = 0;
  EXPECT_EQ(error_of(s), "service shop/web: port \"http\" (tcp/0) is not a port (1-65535)");
  s = web();
  s.ports[0].node_port = 30080;
  EXPECT_NE(error_of(s).find("which a ClusterIP service may not have"), std::string::npos);
  s.type = ServiceType::node_port;
  s.ports[0].node_port = 8080;
  EXPECT_NE(
      error_of(s).find("nodePort 8080 of port \"http\" (tcp/80) is out of the NodePort range 30000-32767"),
      std::string::npos)
      << error_of(s);
  s = web();
  s.cluster_ip = ip("10.97.0.1");
  EXPECT_NE(error_of(s).find("is not in the service range 10.96.0.0/16"), std::string::npos);
  s = web();
  s.name = "Shop/Web";
  EXPECT_NE(error_of(s).find("invalid service name"), std::string::npos);
  s.name = "a/b/c";
  EXPECT_NE(error_of(s).find("invalid service name"), std::string::npos);
  s = web();
  s.ports.push_back({"", Proto::udp, 53, 0});
  EXPECT_NE(error_of(s).find("needs a name"), std::string::npos);
  s = web();
  s.endpoints[0].address = ip("127.0.0.1");
  EXPECT_NE(error_of(s).find("not a usable endpoint address"), std::string::npos);
  s = web();
  s.endpoints[0].ports = {{"http", 0}};
  EXPECT_NE(error_of(s).find("is 0"), std::string::npos);
  s = web();
  s.external_policy = TrafficPolicy::local;
  EXPECT_NE(error_of(s).find("externalTrafficPolicy Local"), std::string::npos);
  s = web();
  s.affinity_timeout_s = kMaxAffinityTimeout + 1;
  EXPECT_NE(error_of(s).find("out of range"), std::string::npos);
}

TEST(ServiceSpecTest, ReadyFirstThenServingTerminating) {
  ServiceSpec s = web();
  ServiceEndpoint b = s.endpoints[0];
  b.address = ip("10.88.0.6");
  ServiceEndpoint c = b;
  c.address = ip("10.88.0.7");
  c.ports = {};  // its pod has no port named "http"
  s.endpoints = {s.endpoints[0], b, c};
  auto u = usable_endpoints(s, s.ports[0]);
  ASSERT_EQ(u.endpoints.size(), 2u);
  EXPECT_FALSE(u.terminating_fallback);
  s.endpoints[0].ready = false;
  s.endpoints[0].terminating = true;  // serving, terminating
  u = usable_endpoints(s, s.ports[0]);
  ASSERT_EQ(u.endpoints.size(), 1u);
  EXPECT_EQ(u.endpoints[0].address, ip("10.88.0.6"));
  s.endpoints[1].ready = false;  // not ready, not terminating: never used
  u = usable_endpoints(s, s.ports[0]);
  ASSERT_EQ(u.endpoints.size(), 1u);
  EXPECT_EQ(u.endpoints[0], (UsableEndpoint{ip("10.88.0.5"), 8080}));
  EXPECT_TRUE(u.terminating_fallback);
  s.endpoints[0].serving = false;
  EXPECT_TRUE(usable_endpoints(s, s.ports[0]).endpoints.empty());
}

TEST(ServiceSpecTest, JsonRoundTrip) {
  ServiceSpec s = web();
  s.type = ServiceType::load_balancer;
  s.ports[0].node_port = 30080;
  s.affinity_timeout_s = 600;
  s.external_policy = TrafficPolicy::local;
  s.load_balancer_ips = {ip("192.0.2.1")};
  s.cluster_ip = ip("10.96.0.10");
  nlohmann::json j = s;
  EXPECT_EQ(j["type"], "LoadBalancer");
  EXPECT_EQ(j["ports"][0]["protocol"], "TCP");
  ServiceSpec back = j.get<ServiceSpec>();
  EXPECT_EQ(nlohmann::json(back), j);
  auto bad = nlohmann::json::parse(R"({"name":"x","ports":[{"port":80,"protocol":"SCTP"}]})");
  EXPECT_THROW(bad.get<ServiceSpec>(), Error);
}

class AllocatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/skiff-svc-alloc.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { remove_all(dir_); }
  std::string path() const { return dir_ + "/services.json"; }
  std::string dir_;
  ServiceRanges ranges_;
};

TEST_F(AllocatorTest, KeepsWhatAServiceHadAcrossRestarts) {
  ServiceSpec s = web();
  s.type = ServiceType::node_port;
  ServiceAllocation a;
  {
    ServiceAllocator alloc(path(), ranges_);
    a = alloc.assign(s, nullptr);
    EXPECT_TRUE(ranges_.service_cidr.contains(a.cluster_ip));
    EXPECT_NE(a.cluster_ip, ranges_.service_cidr.network());
    ASSERT_EQ(a.node_ports.size(), 1u);
    alloc.save();
  }
  ServiceAllocator again(path(), ranges_);
  EXPECT_EQ(again.assign(s, nullptr), a);
  // A range change drops what no longer fits: the Service gets a new address from the new range.
  ServiceRanges other;
  other.service_cidr = parse_cidr("10.200.0.0/24");
  ServiceAllocator moved(path(), other);
  EXPECT_EQ(moved.find("shop/web")->cluster_ip, Ipv4Addr{});
  EXPECT_TRUE(other.service_cidr.contains(moved.assign(s, nullptr).cluster_ip));
}

TEST_F(AllocatorTest, ConflictsAreErrorsAndChangeNothing) {
  ServiceAllocator alloc(path(), ranges_);
  ServiceSpec a = web();
  a.type = ServiceType::node_port;
  a.cluster_ip = ip("10.96.0.10");
  a.ports[0].node_port = 30080;
  alloc.assign(a, nullptr);
  ServiceSpec b = a;
  b.name = "shop/b";
  b.ports[0].node_port = 0;
  try {
    alloc.assign(b, nullptr);
    FAIL() << "two services got one cluster IP";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "service shop/b: cluster IP 10.96.0.10 is already allocated to service shop/web");
  }
  b.cluster_ip.reset();
  b.ports[0].node_port = 30080;
  try {
    alloc.assign(b, nullptr);
    FAIL() << "two services got one node port";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "service shop/b: nodePort 30080 of port tcp/80 is already allocated to service shop/web");
  }
  EXPECT_EQ(alloc.find("shop/b"), nullptr);
  // A node port a host socket holds is skipped when allocating, refused when asked for.
  b.ports[0].node_port = 0;
  auto got = alloc.assign(b, [](Proto, uint16_t p) { return p % 2 == 0; });
  EXPECT_EQ(got.node_ports.at("tcp/80") % 2, 0);
  b.ports[0].node_port = 30081;
  EXPECT_THROW(alloc.assign(b, [](Proto, uint16_t p) { return p != 30081; }), Error);
}

TEST_F(AllocatorTest, ExhaustionIsAClearError) {
  ServiceRanges tiny;
  tiny.service_cidr = parse_cidr("10.96.0.0/30");  // two usable addresses
  tiny.node_port_min = tiny.node_port_max = 30000;
  ServiceAllocator alloc(path(), tiny);
  ServiceSpec s = web();
  for (const char* n : {"a", "b"}) {
    s.name = n;
    alloc.assign(s, nullptr);
  }
  s.name = "c";
  EXPECT_THROW(alloc.assign(s, nullptr), Error);
}

ProgrammedService programmed(ServiceSpec s) {
  ProgrammedService p{std::move(s), {}};
  p.alloc.cluster_ip = ip("10.96.0.10");
  return p;
}

TEST(ServiceRulesetTest, AnEndpointChangeTouchesOnlyThatEndpointAndItsService) {
  ServiceSpec s = web();
  s.affinity_timeout_s = 60;
  ServiceEndpoint b = s.endpoints[0];
  b.address = ip("10.88.0.6");
  s.endpoints.push_back(b);
  ServiceObjects before = plan_service(programmed(s));
  s.endpoints[1].ready = false;
  ServiceObjects after = plan_service(programmed(s));
  std::string t = render_service_update(before, after);
  // The kept endpoint's chain and affinity set are not touched (its clients stay stuck).
  EXPECT_EQ(t.find("skiff-services ep-shop/web/tcp/80__10.88.0.5/8080"), std::string::npos) << t;
  EXPECT_EQ(t.find("skiff-services aff-shop/web/tcp/80__10.88.0.5/8080"), std::string::npos) << t;
  EXPECT_NE(t.find("delete chain ip skiff-services ep-shop/web/tcp/80__10.88.0.6/8080"), std::string::npos)
      << t;
  EXPECT_NE(t.find("delete set ip skiff-services aff-shop/web/tcp/80__10.88.0.6/8080"), std::string::npos)
      << t;
  EXPECT_NE(t.find("numgen random mod 1 vmap"), std::string::npos) << t;
  EXPECT_EQ(t.find("element"), std::string::npos) << "the VIP's element stays as it is:\n" << t;
  EXPECT_EQ(t.find("table"), std::string::npos) << t;
  // The same state again: nothing to do.
  EXPECT_EQ(render_service_update(after, after), "");
}

TEST(ServiceRulesetTest, LosingTheLastEndpointSwapsTheElementForAReject) {
  ServiceSpec s = web();
  s.type = ServiceType::node_port;
  ProgrammedService p = programmed(s);
  p.alloc.node_ports["tcp/80"] = 30080;
  ServiceObjects before = plan_service(p);
  p.spec.endpoints[0].ready = false;
  ServiceObjects after = plan_service(p);
  EXPECT_TRUE(after.chains.empty());
  std::string t = render_service_update(before, after);
  EXPECT_NE(t.find("delete element ip skiff-services service-ips { 10.96.0.10 . tcp . 80 }"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("delete element ip skiff-services service-nodeports { tcp . 30080 }"), std::string::npos)
      << t;
  EXPECT_NE(
      t.find(
          "add element ip skiff-services no-endpoint-services { 10.96.0.10 . tcp . 80 : goto reject-chain }"),
      std::string::npos)
      << t;
  EXPECT_NE(t.find("add element ip skiff-services no-endpoint-nodeports { tcp . 30080 : goto reject-chain }"),
            std::string::npos)
      << t;
  // Chains are deleted after the elements that pointed at them.
  EXPECT_LT(t.find("delete element ip skiff-services service-ips"), t.find("delete chain"));
}

TEST(ServiceRulesetTest, FullSyncRemovesWhatNobodyWants) {
  ExistingServiceObjects ex = parse_existing(R"({"nftables":[{"table":{"name":"skiff-services"}},
    {"chain":{"name":"svc-old/tcp/1"}},{"chain":{"name":"services"}},
    {"set":{"name":"aff-shop/web/tcp/80__10.88.0.5/8080","timeout":30}}]})");
  EXPECT_TRUE(ex.table);
  EXPECT_EQ(ex.service_chains, std::set<std::string>{"svc-old/tcp/1"});
  ServiceSpec s = web();
  s.affinity_timeout_s = 60;
  std::string t = render_full_sync({parse_cidr("10.96.0.0/16")}, {plan_service(programmed(s))}, ex);
  EXPECT_NE(t.find("flush chain ip skiff-services svc-old/tcp/1"), std::string::npos);
  EXPECT_NE(t.find("delete chain ip skiff-services svc-old/tcp/1"), std::string::npos);
  // The set's timeout changed (30 s -> 60 s): replaced.
  EXPECT_NE(t.find("delete set ip skiff-services aff-shop/web/tcp/80__10.88.0.5/8080"), std::string::npos);
  EXPECT_LT(t.find("delete set"), t.find("timeout 60s"));
}

}  // namespace
}  // namespace skiff::net::test
