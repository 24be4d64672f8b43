// Create a network, attach two "containers" (namespaces), and check what a container needs: eth0
// with its address and the network's MTU, lo up, a default route via the gateway, and a TCP
// connection to its neighbour by address and by the name in its hosts file. Detach leaves nothing.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "error.hpp"
#include "file_util.hpp"
#include "netlink.hpp"
#include "netns_fixture.hpp"
#include "netns_ref.hpp"
#include "network_store.hpp"

namespace skiff::net::test {
namespace {

class AttachTest : public HostNetnsTest {};

AttachRequest req(const std::string& network, const std::string& id) {
  AttachRequest r;
  r.network = network;
  r.container_id = id;
  r.name = id;
  return r;
}

// The address the hosts file at `path` gives `name`, if any.
std::optional<Ipv4Addr> lookup_hosts(const std::string& path, const std::string& name) {
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string addr, n;
    ls >> addr;
    while (ls >> n)
      if (n == name) return parse_ipv4(addr);
  }
  return std::nullopt;
}

TEST_F(AttachTest, TwoContainersReachEachOtherByAddressAndName) {
  NetworkStore store(state_dir());
  store.create(make_network_config("testnet", "10.77.0.0/24", "", "sktest0", 1400));
  UniqueFd ns_a = new_netns(), ns_b = new_netns();
  Attachment a = store.attach(req("testnet", "ctr-a"), NetnsRef::from_fd(UniqueFd(::dup(ns_a.get()))));
  Attachment b = store.attach(req("testnet", "ctr-b"), NetnsRef::from_fd(UniqueFd(::dup(ns_b.get()))));
  EXPECT_TRUE(parse_subnet("10.77.0.0/24").contains(a.address.addr));
  EXPECT_NE(a.address.addr, b.address.addr);
  EXPECT_EQ(a.address.prefix, 24);
  EXPECT_EQ(a.gateway.str(), "10.77.0.1");

  // Inside each container: eth0 up with the address and MTU, lo up, default route via the gateway.
  for (auto* x : {&a, &b}) {
    int fd = x == &a ? ns_a.get() : ns_b.get();
    NlSocket in = NlSocket::in_netns(fd);
    auto eth = in.link("eth0");
    ASSERT_TRUE(eth);
    EXPECT_TRUE(eth->up);
    EXPECT_EQ(eth->mtu, 1400u);
    EXPECT_TRUE(in.link("lo")->up);
    bool has_addr = false;
    for (const auto& [idx, addr] : in.addresses())
      if (idx == eth->index && addr == x->address) has_addr = true;
    EXPECT_TRUE(has_addr) << x->address.str();
    bool has_default = false;
    for (const auto& [idx, dst] : in.routes())
      if (idx == eth->index && dst.prefix == 0) has_default = true;
    EXPECT_TRUE(has_default);
  }
  // The host end is enslaved to the bridge, which carries the gateway address.
  NlSocket h;
  auto br = h.link("sktest0");
  ASSERT_TRUE(br);
  EXPECT_EQ(br->type, "bridge");
  EXPECT_EQ(h.link(a.host_veth)->master, br->index);
  // The gateway's MAC is the bridge's own, fixed: it does not follow the ports as they come and go.
  EXPECT_EQ(br->mac, mac_str(mac_for(a.gateway)));

  uint16_t port = 0;
  UniqueFd lb = tcp_listener(ns_b.get(), port);
  auto r = tcp_roundtrip(ns_a.get(), b.address.addr, port, lb.get());
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.peer_seen, a.address.addr);  // same bridge: no NAT between neighbours

  // By name: a's hosts file names b (and itself); b reaches a by the name from its own file.
  auto b_by_name = lookup_hosts(a.hosts_path, "ctr-b");
  ASSERT_TRUE(b_by_name);
  EXPECT_EQ(*b_by_name, b.address.addr);
  EXPECT_EQ(lookup_hosts(a.hosts_path, "ctr-a"), a.address.addr);
  auto a_by_name = lookup_hosts(b.hosts_path, "ctr-a");
  ASSERT_TRUE(a_by_name);
  uint16_t port_a = 0;
  UniqueFd la = tcp_listener(ns_a.get(), port_a);
  r = tcp_roundtrip(ns_b.get(), *a_by_name, port_a, la.get());
  EXPECT_TRUE(r.ok) << r.error;

  // The host reaches a container through the bridge (the gateway address is its own).
  r = tcp_roundtrip(host_netns(), b.address.addr, port, lb.get());
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.peer_seen.str(), "10.77.0.1");

  EXPECT_TRUE(store.detach("testnet", "ctr-a"));
  EXPECT_FALSE(store.detach("testnet", "ctr-a"));
  EXPECT_FALSE(NlSocket::in_netns(ns_a.get()).link("eth0"));
  EXPECT_FALSE(h.link(a.host_veth));
  EXPECT_FALSE(lookup_hosts(b.hosts_path, "ctr-a"));  // b's file forgot a
  EXPECT_NE(::access(a.hosts_path.c_str(), F_OK), 0);
  EXPECT_TRUE(store.detach("testnet", "ctr-b"));
  EXPECT_EQ(host_links(), (std::vector<std::string>{"lo", "sktest0"}));  // no veth left
  EXPECT_FALSE(skiff_table_exists());
  EXPECT_TRUE(store.inspect("testnet").attachments.empty());
  store.remove("testnet");
  EXPECT_FALSE(h.link("sktest0"));
  EXPECT_TRUE(store.list().empty());
}

TEST_F(AttachTest, AttachByPidAndDefaultNetworkCreatedOnFirstUse) {
  NetworkStore store(state_dir());
  // A child process with its own namespace stands for a container's init.
  int ready[2];
  ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::unshare(CLONE_NEWNET) < 0) ::_exit(1);
    char c = 1;
    if (::write(ready[1], &c, 1) != 1) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  AttachRequest r;
  r.container_id = "bypid";
  Attachment at;
  try {
    at = store.attach(r, NetnsRef::from_pid(pid));
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
  }
  EXPECT_EQ(at.network, "skiff0");
  EXPECT_EQ(at.pid, pid);
  EXPECT_TRUE(parse_subnet(kDefaultSubnet).contains(at.address.addr));
  {
    UniqueFd ns(::open(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
    EXPECT_TRUE(NlSocket::in_netns(ns.get()).link("eth0"));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  // The container is gone: its veth goes with its namespace (asynchronously), and reclaim frees it.
  NlSocket h;
  for (int i = 0; i < 500 && h.link(at.host_veth); ++i) ::usleep(10000);
  EXPECT_EQ(store.reclaim(), 1);
  EXPECT_TRUE(store.inspect("skiff0").attachments.empty());
  EXPECT_FALSE(skiff_table_exists());
}

}  // namespace
}  // namespace skiff::net::test
