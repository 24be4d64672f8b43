// NAT and published ports, inside a test-made "host" namespace joined by a veth (`up0`, the host's
// default route) to an "outside" namespace standing for the rest of the network.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <fstream>

#include "error.hpp"
#include "file_util.hpp"
#include "netlink.hpp"
#include "netns_fixture.hpp"
#include "netns_ref.hpp"
#include "network_store.hpp"
#include "nft.hpp"
#include "sysctl.hpp"

namespace skiff::net::test {
namespace {

const Ipv4Addr kHostUplink = *parse_ipv4("192.0.2.1");
const Ipv4Addr kOutside = *parse_ipv4("192.0.2.2");
const Ipv4Addr kLoopback = *parse_ipv4("127.0.0.1");

// A UDP socket inside `netns_fd` bound to `port`.
UniqueFd udp_bound(int netns_fd, uint16_t port) {
  UniqueFd s = socket_in(netns_fd, SOCK_DGRAM);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  check(::bind(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), "bind udp");
  return s;
}

// From `client_netns`, a datagram to addr:port on a connected socket (which accepts only answers
// from addr:port, so the reply must be un-NATed on its way back); `server` answers its sender. The
// waits are bounded against hangs, not timing assertions.
ConnectResult udp_roundtrip(int client_netns, Ipv4Addr addr, uint16_t port, int server, int timeout_s = 3) {
  ConnectResult r;
  UniqueFd c = socket_in(client_netns, SOCK_DGRAM);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = addr.be();
  check(::connect(c.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), "connect udp");
  if (::send(c.get(), "ping", 4, 0) != 4) {
    r.error = std::string("send: ") + std::strerror(errno);
    return r;
  }
  pollfd p{server, POLLIN, 0};
  if (::poll(&p, 1, timeout_s * 1000) != 1) {
    r.error = "the server received no datagram";
    return r;
  }
  char buf[16];
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  ssize_t n = ::recvfrom(server, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &len);
  if (n != 4 || std::memcmp(buf, "ping", 4) != 0) {
    r.error = "the server received something else";
    return r;
  }
  r.peer_seen = Ipv4Addr{ntohl(peer.sin_addr.s_addr)};
  ::sendto(server, "pong", 4, 0, reinterpret_cast<sockaddr*>(&peer), len);
  pollfd q{c.get(), POLLIN, 0};
  if (::poll(&q, 1, timeout_s * 1000) != 1 || ::recv(c.get(), buf, sizeof buf, 0) != 4 ||
      std::memcmp(buf, "pong", 4) != 0) {
    r.error = "no answer came back to the client";
    return r;
  }
  r.ok = true;
  return r;
}

class NatTest : public HostNetnsTest {
 protected:
  void SetUp() override {
    HostNetnsTest::SetUp();
    if (IsSkipped()) return;
    outside_ = make_uplink();
    store_ = std::make_unique<NetworkStore>(state_dir());
    store_->create(make_network_config("natnet", "10.44.0.0/24"));
  }
  Attachment attach(const std::string& id, UniqueFd& ns, std::vector<std::string> ports = {}) {
    ns = new_netns();
    AttachRequest r;
    r.network = "natnet";
    r.container_id = id;
    for (const auto& p : ports) r.ports.push_back(parse_port_mapping(p));
    return store_->attach(r, NetnsRef::from_fd(UniqueFd(::dup(ns.get()))));
  }
  std::string nft_table() {
    NftContext nft;
    return nft.run_output("list table inet skiff");
  }
  void expect_hairpin_to_own_port(const char* bridge_nf_call_iptables);
  UniqueFd outside_;
  std::unique_ptr<NetworkStore> store_;
};

TEST_F(NatTest, OutboundIsMasqueradedAsTheHostAddress) {
  UniqueFd ns_a;
  Attachment a = attach("a", ns_a);
  uint16_t port = 0;
  UniqueFd l = tcp_listener(outside_.get(), port);
  auto r = tcp_roundtrip(ns_a.get(), kOutside, port, l.get());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.peer_seen, kHostUplink) << "the outside saw " << r.peer_seen.str();
}

TEST_F(NatTest, ForwardingOnlyWhereNeededAndUndoneWithTheLastContainer) {
  EXPECT_EQ(read_if_sysctl("up0", "forwarding"), "0");
  UniqueFd ns_a;
  attach("a", ns_a);
  EXPECT_EQ(read_if_sysctl("natnet", "forwarding"), "1");
  EXPECT_EQ(read_if_sysctl("up0", "forwarding"), "1");           // replies to containers arrive here
  EXPECT_EQ(read_file("/proc/sys/net/ipv4/ip_forward"), "0\n");  // the host-wide switch stays off
  EXPECT_TRUE(skiff_table_exists());
  // The outside cannot reach a container by its private address, even with a route to it.
  uint16_t port = 0;
  UniqueFd l = tcp_listener(ns_a.get(), port);
  NlSocket o = NlSocket::in_netns(outside_.get());
  o.add_default_route(kHostUplink, o.link("out0")->index);  // the host as next hop to 10.44.0.0/24
  Attachment a = store_->inspect("natnet").attachments.at(0);
  auto r = tcp_roundtrip(outside_.get(), a.address.addr, port, l.get(), 2);
  EXPECT_FALSE(r.ok) << "the outside reached a container's private address";

  EXPECT_TRUE(store_->detach("natnet", "a"));
  EXPECT_EQ(read_if_sysctl("up0", "forwarding"), "0");
  EXPECT_FALSE(skiff_table_exists());
}

TEST_F(NatTest, PublishedPortFromOutsideFromTheHostAndHairpin) {
  UniqueFd ns_a, ns_b;
  Attachment a = attach("a", ns_a, {"8080:80"});
  Attachment b = attach("b", ns_b);
  uint16_t port = 80;
  UniqueFd l = tcp_listener(ns_a.get(), port);

  auto r = tcp_roundtrip(outside_.get(), kHostUplink, 8080, l.get());
  EXPECT_TRUE(r.ok) << "from outside: " << r.error;
  EXPECT_EQ(r.peer_seen, kOutside);  // DNAT only: the container sees the real client

  r = tcp_roundtrip(host_netns(), kHostUplink, 8080, l.get());
  EXPECT_TRUE(r.ok) << "from the host to its address: " << r.error;
  r = tcp_roundtrip(host_netns(), kLoopback, 8080, l.get());
  EXPECT_TRUE(r.ok) << "from the host to 127.0.0.1: " << r.error;
  r = tcp_roundtrip(host_netns(), a.gateway, 8080, l.get());
  EXPECT_TRUE(r.ok) << "from the host to the gateway address: " << r.error;

  // Hairpin: a neighbour on the bridge through the host's address; the answer must come back the
  // same way, so the container sees the gateway as the client.
  r = tcp_roundtrip(ns_b.get(), kHostUplink, 8080, l.get());
  EXPECT_TRUE(r.ok) << "hairpin from b: " << r.error;
  EXPECT_EQ(r.peer_seen, a.gateway);

  // Only the published port is forwarded: another port of the host address reaches no container.
  uint16_t other = 81;
  UniqueFd l81 = tcp_listener(ns_a.get(), other);
  r = tcp_roundtrip(outside_.get(), kHostUplink, 81, l81.get(), 2);
  EXPECT_FALSE(r.ok);

  // The host's 127.0.0.1 stays closed to the containers (route_localnet is on for the bridge).
  uint16_t hp = 0;
  UniqueFd hl = tcp_listener(host_netns(), hp, kLoopback);
  r = tcp_roundtrip(ns_b.get(), kLoopback, hp, hl.get(), 2);
  EXPECT_FALSE(r.ok);

  EXPECT_NE(nft_table().find("dnat ip to " + a.address.addr.str() + ":80"), std::string::npos);
  EXPECT_TRUE(store_->detach("natnet", "a"));
  EXPECT_EQ(nft_table().find("dport 8080"), std::string::npos);  // the rule went with the container
  EXPECT_TRUE(store_->detach("natnet", "b"));
  EXPECT_FALSE(skiff_table_exists());
  EXPECT_EQ(read_if_sysctl("natnet", "route_localnet"), "0");
}

// A container reaching its own published port through the host's address: the packet enters the
// host from the bridge, is DNATed back to the very address it came from, and must leave through the
// bridge again (masqueraded, so the answer returns the same way). A second container does the same.
// With bridge-netfilter on (the default here), DNAT happens at the bridge and the packet is bridged
// back out of the port it came in on: that needs the port's hairpin mode. Without it, the host routes
// the packet. Both are tested (the switch is per network namespace: this one is the test's).
void NatTest::expect_hairpin_to_own_port(const char* bridge_nf_call_iptables) {
  {
    std::ofstream f("/proc/sys/net/bridge/bridge-nf-call-iptables");
    if (!f) GTEST_SKIP() << "no /proc/sys/net/bridge (bridge-netfilter not in this kernel)";
    f << bridge_nf_call_iptables;
  }
  if (read_file("/proc/sys/net/bridge/bridge-nf-call-iptables") !=
      std::string(bridge_nf_call_iptables) + "\n")
    GTEST_FAIL() << "could not set bridge-nf-call-iptables in the test's namespace";
  UniqueFd ns_a, ns_b;
  Attachment a = attach("a", ns_a, {"8080:80"});
  Attachment b = attach("b", ns_b);
  uint16_t port = 80;
  UniqueFd l = tcp_listener(ns_a.get(), port);

  auto r = tcp_roundtrip(ns_a.get(), kHostUplink, 8080, l.get());
  EXPECT_TRUE(r.ok) << "a to its own port through the host address: " << r.error;
  EXPECT_EQ(r.peer_seen, a.gateway);
  r = tcp_roundtrip(ns_a.get(), a.gateway, 8080, l.get());
  EXPECT_TRUE(r.ok) << "a to its own port through the gateway address: " << r.error;
  r = tcp_roundtrip(ns_b.get(), kHostUplink, 8080, l.get());
  EXPECT_TRUE(r.ok) << "b through the host address: " << r.error;
  EXPECT_EQ(r.peer_seen, a.gateway);
  r = tcp_roundtrip(ns_a.get(), kHostUplink, 8080, l.get());
  EXPECT_TRUE(r.ok) << "a again after b: " << r.error;
}

TEST_F(NatTest, HairpinToItsOwnPublishedPort) {
  expect_hairpin_to_own_port("1");
}

TEST_F(NatTest, HairpinToItsOwnPublishedPortWithoutBridgeNetfilter) {
  expect_hairpin_to_own_port("0");
}

TEST_F(NatTest, PublishedUdpPort) {
  UniqueFd ns_a, ns_b;
  Attachment a = attach("a", ns_a, {"5353:53/udp"});
  Attachment b = attach("b", ns_b);
  UniqueFd server = udp_bound(ns_a.get(), 53);

  auto r = udp_roundtrip(outside_.get(), kHostUplink, 5353, server.get());
  EXPECT_TRUE(r.ok) << "from outside: " << r.error;
  EXPECT_EQ(r.peer_seen, kOutside);
  r = udp_roundtrip(host_netns(), kHostUplink, 5353, server.get());
  EXPECT_TRUE(r.ok) << "from the host to its address: " << r.error;
  r = udp_roundtrip(host_netns(), kLoopback, 5353, server.get());
  EXPECT_TRUE(r.ok) << "from the host to 127.0.0.1: " << r.error;
  r = udp_roundtrip(ns_b.get(), kHostUplink, 5353, server.get());
  EXPECT_TRUE(r.ok) << "hairpin from b: " << r.error;
  EXPECT_EQ(r.peer_seen, a.gateway);
  r = udp_roundtrip(ns_a.get(), kHostUplink, 5353, server.get());
  EXPECT_TRUE(r.ok) << "hairpin from a itself: " << r.error;

  // The mapping is for UDP only: TCP to the same port reaches nothing.
  uint16_t tp = 53;
  UniqueFd tl = tcp_listener(ns_a.get(), tp);
  EXPECT_FALSE(tcp_roundtrip(outside_.get(), kHostUplink, 5353, tl.get(), 2).ok);
  EXPECT_NE(nft_table().find("udp dport 5353 dnat ip to " + a.address.addr.str() + ":53"), std::string::npos);

  // Detached, the port is gone: a datagram from outside no longer arrives.
  EXPECT_TRUE(store_->detach("natnet", "a"));
  EXPECT_FALSE(udp_roundtrip(outside_.get(), kHostUplink, 5353, server.get(), 1).ok);
}

TEST_F(NatTest, PublishedOnOneHostAddressOnly) {
  UniqueFd ns_a;
  Attachment a = attach("a", ns_a, {"192.0.2.1:8081:80/tcp"});
  uint16_t port = 80;
  UniqueFd l = tcp_listener(ns_a.get(), port);
  auto r = tcp_roundtrip(outside_.get(), kHostUplink, 8081, l.get());
  EXPECT_TRUE(r.ok) << r.error;
  r = tcp_roundtrip(host_netns(), kLoopback, 8081, l.get(), 2);
  EXPECT_FALSE(r.ok) << "published on 192.0.2.1 only, yet reached through 127.0.0.1";
}

}  // namespace
}  // namespace skiff::net::test
