// NodePort and LoadBalancer Services reached from an outside client (a namespace behind the host's
// uplink) and from the host; UDP Services and their conntrack entries; removal leaving nothing.
#include "error.hpp"
#include "service_test_util.hpp"

namespace skiff::net::test {
namespace {

class ExternalTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped()) return;
    for (int i = 0; i < 2; ++i) {
      Pod& p = add_pod("web" + std::to_string(i));
      servers_.add_tcp(p.ns.get(), 8080, p.name);
      servers_.add_udp(p.ns.get(), 5353, p.name);
    }
    servers_.start();
  }
  ServiceSpec web(ServiceType type, std::vector<bool> ready, TrafficPolicy policy = TrafficPolicy::cluster) {
    ServiceSpec s;
    s.name = "shop/web";
    s.type = type;
    s.external_policy = policy;
    s.ports = {{"http", Proto::tcp, 80, 0}, {"dns", Proto::udp, 53, 0}};
    for (size_t i = 0; i < ready.size(); ++i)
      s.endpoints.push_back(endpoint(*pods_[i], {{"http", 8080}, {"dns", 5353}}, ready[i]));
    return s;
  }
};

TEST_F(ExternalTest, NodePortFromOutsideAndFromTheHost) {
  ServiceSpec s = web(ServiceType::node_port, {true, false});
  s.ports[0].node_port = 30080;
  auto st = proxy().sync({s});
  EXPECT_EQ(st[0].ports[0].port.node_port, 30080);
  const uint16_t udp_np = st[0].ports[1].port.node_port;
  EXPECT_GE(udp_np, 30000);
  EXPECT_LE(udp_np, 32767);
  EXPECT_NE(udp_np, 30080);

  Answer a = ask_tcp(outside_.get(), kHostUplink, 30080);
  EXPECT_EQ(a.name, "web0") << a.error;
  // Cluster policy: the endpoint sees the host (masqueraded), not the client.
  EXPECT_EQ(servers_.last_peer("web0"), pods_[0]->att.gateway);
  a = ask_tcp(host_netns(), kHostUplink, 30080);
  EXPECT_EQ(a.name, "web0") << "from the host: " << a.error;
  a = ask_tcp(host_netns(), pods_[0]->att.gateway, 30080);
  EXPECT_EQ(a.name, "web0") << "from the host through the bridge's address: " << a.error;
  UniqueFd u = udp_client(outside_.get(), kHostUplink, udp_np);
  a = ask_udp(u.get());
  EXPECT_EQ(a.name, "web0") << "udp: " << a.error;
  // The ClusterIP side works as well.
  a = ask_tcp(pods_[1]->ns.get(), st[0].cluster_ip, 80);
  EXPECT_EQ(a.name, "web0") << a.error;

  // No endpoint: refused at once on the node port too.
  proxy().update_endpoints(s.name, web(ServiceType::node_port, {false, false}).endpoints);
  a = ask_tcp(outside_.get(), kHostUplink, 30080);
  EXPECT_EQ(a.err, ECONNREFUSED) << a.error;
}

TEST_F(ExternalTest, LocalPolicyKeepsTheClientAddress) {
  auto st = proxy().sync({web(ServiceType::node_port, {false, true}, TrafficPolicy::local)});
  const uint16_t np = st[0].ports[0].port.node_port;
  Answer a = ask_tcp(outside_.get(), kHostUplink, np);
  EXPECT_EQ(a.name, "web1") << a.error;
  EXPECT_EQ(servers_.last_peer("web1"), kOutside);
  // The host's own connection still works (it is masqueraded: its source is a host address).
  a = ask_tcp(host_netns(), kHostUplink, np);
  EXPECT_EQ(a.name, "web1") << a.error;
}

TEST_F(ExternalTest, LoadBalancerOnTheGivenHostAddresses) {
  ServiceSpec s = web(ServiceType::load_balancer, {true, true});
  s.load_balancer_ips = {kHostUplink};
  auto st = proxy().sync({s});
  auto seen = spread(outside_.get(), kHostUplink, 80, 100);
  EXPECT_EQ(seen[""], 0);
  EXPECT_GE(seen["web0"], 20);  // mean 50, sd 5
  EXPECT_GE(seen["web1"], 20);
  // Only there: the bridge's address does not publish port 80.
  Answer a = ask_tcp(host_netns(), pods_[0]->att.gateway, 80);
  EXPECT_NE(a.err, 0) << "published on " << kHostUplink.str() << " only, yet answered on the gateway";
  // Its node port works as well (LoadBalancer Services have one).
  a = ask_tcp(outside_.get(), kHostUplink, st[0].ports[0].port.node_port);
  EXPECT_FALSE(a.name.empty()) << a.error;
}

TEST_F(ExternalTest, LoadBalancerOnEveryHostAddressLikeServiceLb) {
  ServiceSpec s = web(ServiceType::load_balancer, {true, false}, TrafficPolicy::local);
  proxy().sync({s});
  Answer a = ask_tcp(outside_.get(), kHostUplink, 80);
  EXPECT_EQ(a.name, "web0") << a.error;
  EXPECT_EQ(servers_.last_peer("web0"), kOutside);
  a = ask_tcp(host_netns(), pods_[0]->att.gateway, 80);
  EXPECT_EQ(a.name, "web0") << a.error;
  UniqueFd u = udp_client(outside_.get(), kHostUplink, 53);
  a = ask_udp(u.get());
  EXPECT_EQ(a.name, "web0") << a.error;
  // A pod reaching the Service through the host's address (hairpin through the load balancer).
  a = ask_tcp(pods_[1]->ns.get(), kHostUplink, 80);
  EXPECT_EQ(a.name, "web0") << a.error;
}

// A UDP client keeps its socket (its conntrack entry) while its endpoint leaves: without the flush,
// its datagrams would go on reaching the old endpoint (alive here, so the test can tell).
TEST_F(ExternalTest, UdpClientsMoveOffARemovedEndpoint) {
  auto st = proxy().sync({web(ServiceType::cluster_ip, {true, false})});
  UniqueFd u = udp_client(pods_[1]->ns.get(), st[0].cluster_ip, 53);
  Answer a = ask_udp(u.get());
  ASSERT_EQ(a.name, "web0") << a.error;
  proxy().update_endpoints("shop/web", web(ServiceType::cluster_ip, {false, true}).endpoints);
  a = ask_udp(u.get());
  EXPECT_EQ(a.name, "web1") << a.error;

  // No endpoint: the datagram is refused (ICMP port unreachable); when one comes back, the entry
  // made meanwhile (not DNAT'd) is flushed and the same socket reaches it.
  proxy().update_endpoints("shop/web", web(ServiceType::cluster_ip, {false, false}).endpoints);
  a = ask_udp(u.get());
  EXPECT_EQ(a.err, ECONNREFUSED) << a.error;
  proxy().update_endpoints("shop/web", web(ServiceType::cluster_ip, {true, false}).endpoints);
  a = ask_udp(u.get());
  EXPECT_EQ(a.name, "web0") << a.error;
}

TEST_F(ExternalTest, RemovalAndTeardownLeaveNothing) {
  const std::string before = ruleset();
  NlSocket h;
  auto addrs = h.addresses();
  auto routes = h.routes();
  ServiceSpec lb = web(ServiceType::load_balancer, {true, true});
  ServiceSpec np = web(ServiceType::node_port, {true, false});
  np.name = "shop/np";
  ServiceSpec headless = web(ServiceType::cluster_ip, {true, true});
  headless.name = "shop/headless";
  headless.headless = true;
  lb.affinity_timeout_s = 60;
  auto st = proxy().sync({lb, np, headless});
  ASSERT_EQ(ask_tcp(outside_.get(), kHostUplink, 80).err, 0);
  EXPECT_EQ(proxy().status("shop/headless")->cluster_ip, Ipv4Addr{});
  EXPECT_NE(ruleset(), before);

  EXPECT_TRUE(proxy().remove("shop/web"));
  EXPECT_TRUE(proxy().remove("shop/np"));
  EXPECT_TRUE(proxy().remove("shop/headless"));
  EXPECT_FALSE(proxy().remove("shop/web"));
  // Only the empty skeleton of the table is left; teardown takes it too.
  std::string left = ruleset();
  EXPECT_EQ(left.find("svc-"), std::string::npos) << left;
  EXPECT_EQ(left.find("aff-"), std::string::npos) << left;
  EXPECT_EQ(left.find("elements"), std::string::npos) << left;
  proxy().teardown();
  EXPECT_EQ(ruleset(), before);
  EXPECT_EQ(h.addresses(), addrs);
  EXPECT_EQ(h.routes(), routes);

  // A sync after teardown brings everything back; teardown again removes it.
  proxy().sync({np});
  EXPECT_NE(ruleset(), before);
  proxy().teardown();
  EXPECT_EQ(ruleset(), before);
}

}  // namespace
}  // namespace skiff::net::test
