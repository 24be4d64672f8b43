// ClusterIP Services with real traffic: pods (namespaces on a test bridge) behind a VIP, reached
// from another pod, from the host and from themselves.
#include <fstream>

#include "error.hpp"
#include "file_util.hpp"
#include "service_test_util.hpp"

namespace skiff::net::test {
namespace {

class ClusterIpTest : public ServiceTest {
 protected:
  // Pods web0..web{n-1} serving TCP on 8080, and a client pod.
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped()) return;
    for (int i = 0; i < 3; ++i) {
      Pod& p = add_pod("web" + std::to_string(i));
      servers_.add_tcp(p.ns.get(), 8080, p.name);
    }
    client_ = &add_pod("client");
    servers_.start();
  }
  ServiceSpec web(std::vector<bool> ready, uint32_t affinity = 0) {
    ServiceSpec s;
    s.name = "shop/web";
    s.ports = {{"http", Proto::tcp, 80, 0}};
    s.affinity_timeout_s = affinity;
    for (size_t i = 0; i < ready.size(); ++i)
      s.endpoints.push_back(endpoint(*pods_[i], {{"http", 8080}}, ready[i]));
    return s;
  }
  Pod* client_ = nullptr;
};

TEST_F(ClusterIpTest, TrafficReachesReadyEndpointsOnlyAndFollowsReadiness) {
  auto st = proxy().sync({web({true, true, false})});
  ASSERT_EQ(st.size(), 1u);
  const Ipv4Addr vip = st[0].cluster_ip;
  EXPECT_TRUE(proxy_options().ranges.service_cidr.contains(vip)) << vip.str();

  // 300 connections over two ready endpoints: each gets at least 90 (the mean is 150, sd 8.7: a
  // shortfall of 7 sd, odds below 1e-11) and the unready one none.
  auto seen = spread(client_->ns.get(), vip, 80, 300);
  EXPECT_EQ(seen[""], 0) << "failed connections";
  EXPECT_GE(seen["web0"], 90);
  EXPECT_GE(seen["web1"], 90);
  EXPECT_EQ(seen["web2"], 0);

  // web2 becomes ready, web0 not: from the next connection on, web0 gets none.
  proxy().update_endpoints("shop/web", web({false, true, true}).endpoints);
  seen = spread(client_->ns.get(), vip, 80, 300);
  EXPECT_EQ(seen[""], 0);
  EXPECT_EQ(seen["web0"], 0);
  EXPECT_GE(seen["web1"], 90);
  EXPECT_GE(seen["web2"], 90);

  // Back in rotation, over three: the mean is 100 (sd 8.2).
  proxy().update_endpoints("shop/web", web({true, true, true}).endpoints);
  seen = spread(client_->ns.get(), vip, 80, 300);
  for (const char* n : {"web0", "web1", "web2"}) EXPECT_GE(seen[n], 45) << n;
  // The client's own address reaches the endpoints: pod-to-Service traffic is not masqueraded by
  // the service proxy (the bridge network's hairpin rule decides for same-bridge traffic).
  EXPECT_TRUE(servers_.last_peer("web1") == client_->ip() ||
              servers_.last_peer("web1") == client_->att.gateway)
      << servers_.last_peer("web1").str();
}

TEST_F(ClusterIpTest, NoUsableEndpointIsRefusedAtOnce) {
  auto st = proxy().sync({web({false, false, false})});
  const Ipv4Addr vip = st[0].cluster_ip;
  Answer a = ask_tcp(client_->ns.get(), vip, 80);
  EXPECT_EQ(a.err, ECONNREFUSED) << a.error;
  a = ask_tcp(host_netns(), vip, 80);
  EXPECT_EQ(a.err, ECONNREFUSED) << "from the host: " << a.error;
  // A port the Service does not have, and an address no Service has, are refused too.
  a = ask_tcp(client_->ns.get(), vip, 81);
  EXPECT_EQ(a.err, ECONNREFUSED) << a.error;
  a = ask_tcp(client_->ns.get(), Ipv4Addr{vip.value ^ 1}, 80);
  EXPECT_EQ(a.err, ECONNREFUSED) << a.error;

  proxy().update_endpoints("shop/web", web({false, true, false}).endpoints);
  a = ask_tcp(client_->ns.get(), vip, 80);
  EXPECT_EQ(a.name, "web1") << a.error;
}

TEST_F(ClusterIpTest, ServingTerminatingEndpointsServeWhenNoneIsReady) {
  auto st = proxy().sync({web({false, false, false})});
  const Ipv4Addr vip = st[0].cluster_ip;
  ServiceSpec s = web({false, false, false});
  s.endpoints[0].terminating = true;  // draining, still serving
  s.endpoints[1].terminating = true;
  s.endpoints[1].serving = false;  // draining, no longer serving
  auto status = proxy().update_endpoints(s.name, s.endpoints);
  EXPECT_TRUE(status.ports[0].terminating_fallback);
  auto seen = spread(client_->ns.get(), vip, 80, 50);
  EXPECT_EQ(seen["web0"], 50);

  // A ready endpoint appears: the terminating one gets no new connection.
  s.endpoints[2].ready = true;
  status = proxy().update_endpoints(s.name, s.endpoints);
  EXPECT_FALSE(status.ports[0].terminating_fallback);
  seen = spread(client_->ns.get(), vip, 80, 50);
  EXPECT_EQ(seen["web2"], 50);
}

TEST_F(ClusterIpTest, ClientIpAffinityKeepsAClientOnOneEndpoint) {
  auto st = proxy().sync({web({true, true, true}, kDefaultAffinityTimeout)});
  const Ipv4Addr vip = st[0].cluster_ip;
  auto seen = spread(client_->ns.get(), vip, 80, 60);
  ASSERT_EQ(seen.size(), 1u) << "one client, several endpoints";
  const std::string first = seen.begin()->first;
  ASSERT_FALSE(first.empty());
  // The host is another client (another source address): it is stuck too, maybe elsewhere.
  auto host_seen = spread(host_netns(), vip, 80, 30);
  EXPECT_EQ(host_seen.size(), 1u);
  // Its endpoint leaves: the client moves to another one and sticks there.
  std::vector<bool> ready = {true, true, true};
  ready[first.back() - '0'] = false;
  proxy().update_endpoints("shop/web", web(ready, kDefaultAffinityTimeout).endpoints);
  seen = spread(client_->ns.get(), vip, 80, 30);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_NE(seen.begin()->first, first);
  EXPECT_FALSE(seen.begin()->first.empty());
}

TEST_F(ClusterIpTest, FromTheHostKeepingItsAddress) {
  auto st = proxy().sync({web({true, false, false})});
  Answer a = ask_tcp(host_netns(), st[0].cluster_ip, 80);
  EXPECT_EQ(a.name, "web0") << a.error;
  // The route to the VIP picks the host's source address (the uplink's), and it is kept: replies
  // come back through the host, which is every pod's gateway.
  EXPECT_EQ(servers_.last_peer("web0"), kHostUplink);
}

// A pod reaching its own Service, DNAT'd back to itself: the reply must come from the VIP, so the
// connection is masqueraded. With bridge-netfilter on, the bridge sends the packet back out of the
// port it came in on (that needs the port's hairpin mode); without it, the host routes it back.
void expect_hairpin(ClusterIpTest& t, ServiceProxy& proxy, const ServiceSpec& s, int pod_ns,
                    const char* br_nf) {
  std::ofstream f("/proc/sys/net/bridge/bridge-nf-call-iptables");
  if (!f) GTEST_SKIP() << "no /proc/sys/net/bridge (bridge-netfilter not in this kernel)";
  f << br_nf;
  f.close();
  ASSERT_EQ(read_file("/proc/sys/net/bridge/bridge-nf-call-iptables"), std::string(br_nf) + "\n");
  auto st = proxy.sync({s});
  for (int i = 0; i < 5; ++i) {
    Answer a = ask_tcp(pod_ns, st[0].cluster_ip, 80);
    EXPECT_EQ(a.name, "web0") << "bridge-nf-call-iptables=" << br_nf << ": " << a.error;
  }
  (void)t;
}

TEST_F(ClusterIpTest, HairpinWithBridgeNetfilter) {
  expect_hairpin(*this, proxy(), web({true, false, false}), pods_[0]->ns.get(), "1");
}

TEST_F(ClusterIpTest, HairpinWithoutBridgeNetfilter) {
  expect_hairpin(*this, proxy(), web({true, false, false}), pods_[0]->ns.get(), "0");
}

TEST_F(ClusterIpTest, AffinityOfOneServiceSurvivesAnotherServicesChanges) {
  ServiceSpec other = web({true, true, true});
  other.name = "shop/other";
  auto st = proxy().sync({web({true, true, true}, 600), other});
  const Ipv4Addr vip = proxy().status("shop/web")->cluster_ip;
  std::string stuck = ask_tcp(client_->ns.get(), vip, 80).name;
  ASSERT_FALSE(stuck.empty());
  for (int i = 0; i < 20; ++i) {
    std::vector<bool> r = {i % 2 == 0, true, i % 3 == 0};
    ServiceSpec o = web(r);
    proxy().update_endpoints("shop/other", o.endpoints);
  }
  EXPECT_EQ(spread(client_->ns.get(), vip, 80, 20)[stuck], 20);
}

// A host without a default route (an offline device): the service range is routed into the bridge
// for as long as there are Services, so the host's own connections to a VIP start at all.
class OfflineHostTest : public ClusterIpTest {
 protected:
  OfflineHostTest() { with_uplink_ = false; }
};

TEST_F(OfflineHostTest, HostReachesTheVipThroughTheServiceRangeRoute) {
  NlSocket h;
  const auto routes = h.routes();
  auto st = proxy().sync({web({true, false, false})});
  Answer a = ask_tcp(host_netns(), st[0].cluster_ip, 80);
  EXPECT_EQ(a.name, "web0") << a.error;
  a = ask_tcp(client_->ns.get(), st[0].cluster_ip, 80);
  EXPECT_EQ(a.name, "web0") << a.error;
  proxy().update_endpoints("shop/web", web({false, false, false}).endpoints);
  a = ask_tcp(host_netns(), st[0].cluster_ip, 80);
  EXPECT_EQ(a.err, ECONNREFUSED) << a.error;
  a = ask_tcp(client_->ns.get(), st[0].cluster_ip, 80);
  EXPECT_EQ(a.err, ECONNREFUSED) << a.error;
  EXPECT_NE(h.routes(), routes);
  proxy().teardown();
  EXPECT_EQ(h.routes(), routes);
}

}  // namespace
}  // namespace skiff::net::test
