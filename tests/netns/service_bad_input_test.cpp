// Bad input to the service proxy is one clear error and changes nothing (rules, elements,
// allocations); a proxy that died leaves a table the next sync repairs.
#include "error.hpp"
#include "file_util.hpp"
#include "netns_ref.hpp"
#include "nft.hpp"
#include "service_test_util.hpp"

namespace skiff::net::test {
namespace {

class ServiceBadInputTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped()) return;
    pod_ = &add_pod("web0");
    servers_.add_tcp(pod_->ns.get(), 8080, "web0");
    servers_.start();
  }
  ServiceSpec svc(const std::string& name, uint16_t node_port = 0) {
    ServiceSpec s;
    s.name = name;
    s.type = node_port ? ServiceType::node_port : ServiceType::cluster_ip;
    s.ports = {{"http", Proto::tcp, 80, node_port}};
    s.endpoints = {endpoint(*pod_, {{"http", 8080}})};
    return s;
  }
  std::string allocations() { return read_file(state_dir() + "/services/services.json"); }
  // Runs `f`, which must throw an Error containing `want`, and checks that nothing changed.
  template <typename F>
  void expect_refused(F f, const std::string& want) {
    const std::string rules = ruleset(), allocs = allocations();
    try {
      f();
      ADD_FAILURE() << "accepted; wanted an error with \"" << want << "\"";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line: " << e.what();
    }
    EXPECT_EQ(ruleset(), rules);
    EXPECT_EQ(allocations(), allocs);
  }
  Pod* pod_ = nullptr;
};

TEST_F(ServiceBadInputTest, RangeOverlappingANetworkIsRefused) {
  store_->create(make_network_config("clash", "10.96.7.0/24"));
  const std::string rules = ruleset();
  try {
    proxy();
    FAIL() << "a service range overlapping a network was accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "service range 10.96.0.0/16 overlaps subnet 10.96.7.0/24 of network clash");
  }
  EXPECT_EQ(ruleset(), rules);
}

TEST_F(ServiceBadInputTest, NodePortTakenOutOfRangeAndPortZero) {
  proxy().sync({svc("shop/a", 30080)});
  ASSERT_EQ(ask_tcp(outside_.get(), kHostUplink, 30080).name, "web0");
  expect_refused([&] { proxy().apply(svc("shop/b", 30080)); },
                 "service shop/b: nodePort 30080 of port tcp/80 is already allocated to service shop/a");
  expect_refused([&] { proxy().apply(svc("shop/b", 29999)); }, "is out of the NodePort range 30000-32767");
  ServiceSpec zero = svc("shop/b");
  zero.ports[0].port = 0;
  expect_refused([&] { proxy().apply(zero); }, "port \"http\" (tcp/0) is not a port (1-65535)");
  ServiceSpec bad_ep = svc("shop/a", 30080);
  bad_ep.endpoints[0].ports["http"] = 0;
  expect_refused([&] { proxy().update_endpoints("shop/a", bad_ep.endpoints); }, "is 0 (1-65535)");
  expect_refused([&] { proxy().update_endpoints("shop/none", {}); }, "service shop/none is not known");
  // A full sync with one bad Service changes nothing either, not even for the good ones.
  expect_refused([&] { proxy().sync({svc("shop/a", 30080), svc("shop/b", 30080)}); }, "already allocated");
  // A host socket on a port to be published: refused rather than shadowed.
  uint16_t port = 30123;
  UniqueFd held = tcp_listener(host_netns(), port);
  expect_refused([&] { proxy().apply(svc("shop/c", 30123)); }, "is in use by a socket on the host");
  // The first Service still works.
  EXPECT_EQ(ask_tcp(outside_.get(), kHostUplink, 30080).name, "web0");
}

TEST_F(ServiceBadInputTest, LoadBalancerPortsCannotClash) {
  ServiceSpec a = svc("shop/a");
  a.type = ServiceType::load_balancer;
  proxy().sync({a});
  ServiceSpec b = a;
  b.name = "shop/b";
  b.load_balancer_ips = {kHostUplink};
  expect_refused([&] { proxy().apply(b); },
                 "load balancer port 80/tcp on 192.0.2.1 is already published by service shop/a");
}

TEST_F(ServiceBadInputTest, OneProxyPerStateDirAndSyncFirst) {
  proxy();
  EXPECT_THROW(ServiceProxy second(proxy_options()), Error);
  try {
    proxy().update_endpoints("shop/a", {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("before the first sync"), std::string::npos) << e.what();
  }
}

// A proxy that died (no teardown) with a stale Service, and someone's leftovers in its table: the
// next proxy's sync leaves exactly what the desired state says, and a second sync changes nothing.
TEST_F(ServiceBadInputTest, TheNextSyncRepairsWhatADeadProxyLeft) {
  proxy().sync({svc("shop/a"), svc("shop/b", 30080)});
  reset_proxy();
  {
    NetnsEnter in(host_netns());
    NftContext nft;
    nft.run(
        "add chain ip skiff-services svc-ghost/tcp/1\n"
        "add rule ip skiff-services svc-ghost/tcp/1 accept\n"
        "add element ip skiff-services service-ips { 10.96.9.9 . tcp . 1 : goto svc-ghost/tcp/1 }\n");
  }
  auto st = proxy().sync({svc("shop/a")});
  std::string rules = ruleset();
  EXPECT_EQ(rules.find("ghost"), std::string::npos) << rules;
  EXPECT_EQ(rules.find("shop/b"), std::string::npos) << rules;
  EXPECT_EQ(rules.find("30080"), std::string::npos) << rules;
  EXPECT_EQ(ask_tcp(pod_->ns.get(), st[0].cluster_ip, 80).name, "web0");
  proxy().sync({svc("shop/a")});
  EXPECT_EQ(ruleset(), rules);
  // shop/a kept its cluster IP across the proxies; shop/b's allocation went with it.
  EXPECT_EQ(allocations().find("shop/b"), std::string::npos);
}

}  // namespace
}  // namespace skiff::net::test
