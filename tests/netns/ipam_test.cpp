// IPAM: the Ipam class on its own (no root), then through NetworkStore in a test-made host namespace:
// persisted across stores, exhaustion with nothing half-made, several processes attaching at once,
// kill -9 in the middle of an attach, and many attach/detach cycles that leave nothing behind.
#include "ipam.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <nlohmann/json.hpp>
#include <set>

#include "error.hpp"
#include "file_util.hpp"
#include "netlink.hpp"
#include "netns_fixture.hpp"
#include "netns_ref.hpp"
#include "network_store.hpp"

namespace skiff::net::test {
namespace {

struct TmpFile {
  std::string dir, path;
  TmpFile() {
    char t[] = "/tmp/skiff-ipam-test.XXXXXX";
    dir = ::mkdtemp(t);
    path = dir + "/ipam.json";
  }
  ~TmpFile() { remove_all(dir); }
};

Allocation alloc(const std::string& id) {
  Allocation a;
  a.container_id = id;
  a.host_veth = "sk" + id;
  return a;
}

TEST(IpamUnit, AllocatesHostAddressesOnlyAndThenReportsExhaustion) {
  TmpFile f;
  Ipv4Net subnet = parse_subnet("10.1.2.0/29");  // .1 gateway, .2-.6 containers, .7 broadcast
  Ipam ipam(f.path, subnet, *parse_ipv4("10.1.2.1"));
  std::set<std::string> got;
  for (int i = 0; i < 5; ++i) got.insert(ipam.allocate(alloc("c" + std::to_string(i))).str());
  EXPECT_EQ(got, (std::set<std::string>{"10.1.2.2", "10.1.2.3", "10.1.2.4", "10.1.2.5", "10.1.2.6"}));
  try {
    ipam.allocate(alloc("c5"));
    FAIL() << "expected exhaustion";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exhausted"), std::string::npos) << e.what();
  }
  EXPECT_EQ(ipam.allocations().size(), 5u);
}

TEST(IpamUnit, ReleasedAddressIsNotReusedAtOnceAndIdsAreUnique) {
  TmpFile f;
  Ipam ipam(f.path, parse_subnet("10.1.2.0/24"), *parse_ipv4("10.1.2.1"));
  EXPECT_EQ(ipam.allocate(alloc("a")).str(), "10.1.2.2");
  EXPECT_EQ(ipam.allocate(alloc("b")).str(), "10.1.2.3");
  EXPECT_TRUE(ipam.release("a"));
  EXPECT_FALSE(ipam.release("a"));
  // .2 is free again, but peers may still have it in their ARP caches: the next one goes on.
  EXPECT_EQ(ipam.allocate(alloc("c")).str(), "10.1.2.4");
  EXPECT_THROW(ipam.allocate(alloc("b")), Error);  // one address per container
}

TEST(IpamUnit, PersistsAndReloads) {
  TmpFile f;
  Ipv4Net subnet = parse_subnet("10.1.2.0/24");
  {
    Ipam ipam(f.path, subnet, *parse_ipv4("10.1.2.1"));
    Allocation a = alloc("a");
    a.ports.push_back(parse_port_mapping("127.0.0.1:8080:80/udp"));
    ipam.allocate(a);
    ipam.allocate(alloc("b"));
    ipam.set_state("a", Allocation::State::ready);
    ipam.save();
  }
  Ipam again(f.path, subnet, *parse_ipv4("10.1.2.1"));
  ASSERT_EQ(again.allocations().size(), 2u);
  const Allocation* a = again.find("a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->ip.str(), "10.1.2.2");
  EXPECT_EQ(a->state, Allocation::State::ready);
  EXPECT_EQ(again.find("b")->state, Allocation::State::pending);
  ASSERT_EQ(a->ports.size(), 1u);
  EXPECT_EQ(a->ports[0].str(), "127.0.0.1:8080:80/udp");
  // The rotation point survives too.
  EXPECT_EQ(again.allocate(alloc("c")).str(), "10.1.2.4");
}

TEST(IpamUnit, CorruptStateIsAClearError) {
  TmpFile f;
  write_file_atomic(f.path, "{\"allocations\": [ {\"ip\": \"10.1.2.300\"");
  try {
    Ipam ipam(f.path, parse_subnet("10.1.2.0/24"), *parse_ipv4("10.1.2.1"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("corrupt IPAM state"), std::string::npos) << e.what();
  }
}

class IpamStoreTest : public HostNetnsTest {
 protected:
  AttachRequest req(const std::string& id, const std::string& network = "ipamnet") {
    AttachRequest r;
    r.network = network;
    r.container_id = id;
    return r;
  }
  static NetnsRef ref(const UniqueFd& fd) { return NetnsRef::from_fd(UniqueFd(::dup(fd.get()))); }
  std::vector<std::string> veths() {
    std::vector<std::string> out;
    for (const auto& l : NlSocket().links())
      if (l.type == "veth") out.push_back(l.name);
    return out;
  }
};

TEST_F(IpamStoreTest, ExhaustedSubnetLeavesNothingHalfMade) {
  NetworkStore store(state_dir());
  store.create(make_network_config("ipamnet", "10.66.0.0/29"));
  std::vector<UniqueFd> nss;
  for (int i = 0; i < 5; ++i) {
    nss.push_back(new_netns());
    store.attach(req("c" + std::to_string(i)), ref(nss.back()));
  }
  UniqueFd extra = new_netns();
  try {
    store.attach(req("c5"), ref(extra));
    FAIL() << "expected exhaustion";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "subnet 10.66.0.0/29 is exhausted: all 5 container addresses are in use");
  }
  EXPECT_EQ(veths().size(), 5u);
  EXPECT_FALSE(NlSocket::in_netns(extra.get()).link("eth0"));
  EXPECT_EQ(NetworkStore(state_dir()).inspect("ipamnet").attachments.size(), 5u);
  // One leaves: the address is free for the next.
  EXPECT_TRUE(store.detach("ipamnet", "c2"));
  EXPECT_NO_THROW(store.attach(req("c5"), ref(extra)));
}

TEST_F(IpamStoreTest, ConcurrentProcessesGetDifferentAddresses) {
  NetworkStore(state_dir()).create(make_network_config("ipamnet", "10.66.0.0/24"));
  constexpr int kProcs = 6, kEach = 3;
  std::vector<UniqueFd> nss;
  for (int i = 0; i < kProcs * kEach; ++i) nss.push_back(new_netns());
  int go[2];
  ASSERT_EQ(::pipe2(go, O_CLOEXEC), 0);
  std::vector<pid_t> kids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(go[1]);
      char c;
      (void)!::read(go[0], &c, 1);  // all start at once: EOF when the parent closes its end
      int rc = 0;
      try {
        NetworkStore store(state_dir());  // each process its own store, as separate CLI calls
        for (int k = 0; k < kEach; ++k) {
          int i = p * kEach + k;
          store.attach(req("p" + std::to_string(i)), ref(nss[i]));
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "child %d: %s\n", p, e.what());
        rc = 1;
      }
      ::_exit(rc);
    }
    kids.push_back(pid);
  }
  ::close(go[0]);
  ::close(go[1]);
  for (pid_t pid : kids) {
    int st = 0;
    ASSERT_EQ(::waitpid(pid, &st, 0), pid);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  NetworkStore store(state_dir());
  auto s = store.inspect("ipamnet");
  ASSERT_EQ(s.attachments.size(), size_t{kProcs * kEach});
  std::set<Ipv4Addr> addrs;
  for (const auto& a : s.attachments) addrs.insert(a.address.addr);
  EXPECT_EQ(addrs.size(), size_t{kProcs * kEach}) << "an address was handed out twice";
  // And each namespace really carries the address IPAM recorded for it.
  for (const auto& a : s.attachments) {
    int i = std::stoi(a.container_id.substr(1));
    NlSocket in = NlSocket::in_netns(nss[i].get());
    bool found = false;
    for (const auto& [idx, addr] : in.addresses())
      if (addr == a.address) found = true;
    EXPECT_TRUE(found) << a.container_id << " " << a.address.str();
  }
  EXPECT_EQ(veths().size(), size_t{kProcs * kEach});
}

// An attacher killed with SIGKILL at each point of an attach: the next attach reclaims what it left
// (veth, allocation, rules, hosts files) and hands out no duplicate.
TEST_F(IpamStoreTest, KillNineMidAttachThenAttachAgain) {
  NetworkStore store(state_dir());
  store.create(make_network_config("ipamnet", "10.66.0.0/24"));
  UniqueFd keep = new_netns();
  Attachment kept = store.attach(req("keeper"), ref(keep));
  for (const char* point : {"recorded", "veth", "rules"}) {
    SCOPED_TRACE(point);
    UniqueFd victim = new_netns();
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::setenv("SKIFF_NETNS_CRASH_AT", point, 1);
      try {
        AttachRequest r = req("victim");
        r.ports.push_back(parse_port_mapping("8080:80"));
        NetworkStore(state_dir()).attach(r, ref(victim));
      } catch (...) {
      }
      ::_exit(0);  // not reached when the crash point fires
    }
    int st = 0;
    ASSERT_EQ(::waitpid(pid, &st, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) << "the crash point did not fire";
    // What the victim left is on disk: its pending allocation.
    NetworkStore fresh(state_dir());
    UniqueFd next = new_netns();
    AttachRequest r = req("next");
    r.ports.push_back(parse_port_mapping("8080:80"));  // the victim's port must be free again
    Attachment n = fresh.attach(r, ref(next));
    auto s = fresh.inspect("ipamnet");
    ASSERT_EQ(s.attachments.size(), 2u);
    EXPECT_NE(n.address.addr, kept.address.addr);
    EXPECT_EQ(veths().size(), 2u);  // the victim's veth is gone
    EXPECT_FALSE(NlSocket::in_netns(victim.get()).link("eth0"));
    std::string ipam = read_file(state_dir() + "/ipamnet/ipam.json");
    EXPECT_EQ(ipam.find("victim"), std::string::npos);
    std::string hosts = read_file(kept.hosts_path);
    EXPECT_EQ(hosts.find("victim"), std::string::npos) << hosts;
    EXPECT_NE(::access((state_dir() + "/ipamnet/containers/victim").c_str(), F_OK), 0);
    EXPECT_TRUE(fresh.detach("ipamnet", "next"));
  }
}

// Many cycles with three containers alive at a time (attach the next, detach the oldest): addresses
// are never shared among the living, and at the end no veth, nft table or allocation remains.
TEST_F(IpamStoreTest, FiveHundredAttachDetachCyclesLeaveNothing) {
  NetworkStore store(state_dir());
  store.create(make_network_config("ipamnet", "10.66.0.0/26"));  // 61 addresses: they wrap around
  std::deque<std::pair<std::string, UniqueFd>> live;
  for (int i = 0; i < 500; ++i) {
    std::string id = "cy" + std::to_string(i);
    UniqueFd ns = new_netns();
    AttachRequest r = req(id);
    if (i % 50 == 0) r.ports.push_back(parse_port_mapping("9000:90"));
    store.attach(r, ref(ns));
    live.emplace_back(id, std::move(ns));
    if (live.size() > 3) {
      ASSERT_TRUE(store.detach("ipamnet", live.front().first));
      live.pop_front();
    }
    if (i % 50 == 0) {
      std::set<Ipv4Addr> addrs;
      auto s = store.inspect("ipamnet");
      for (const auto& a : s.attachments) addrs.insert(a.address.addr);
      ASSERT_EQ(addrs.size(), s.attachments.size()) << "duplicate address at cycle " << i;
    }
  }
  while (!live.empty()) {
    ASSERT_TRUE(store.detach("ipamnet", live.front().first));
    live.pop_front();
  }
  EXPECT_TRUE(veths().empty());
  EXPECT_FALSE(skiff_table_exists());
  EXPECT_TRUE(store.inspect("ipamnet").attachments.empty());
  auto j = nlohmann::json::parse(read_file(state_dir() + "/ipamnet/ipam.json"));
  EXPECT_TRUE(j.at("allocations").empty());
}

}  // namespace
}  // namespace skiff::net::test
