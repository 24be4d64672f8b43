#include "netns_fixture.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "error.hpp"
#include "file_util.hpp"
#include "netlink.hpp"
#include "netns_ref.hpp"
#include "nft.hpp"

namespace skiff::net::test {

static UniqueFd open_thread_netns() {
  UniqueFd fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open /proc/thread-self/ns/net");
  return fd;
}

void HostNetnsTest::SetUp() {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to create network namespaces";
  orig_ = open_thread_netns();
  ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << std::strerror(errno);
  host_ = open_thread_netns();
  NlSocket h;
  h.set_up(h.link("lo")->index);
  char tmpl[] = "/tmp/skiff-netns-test.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  state_dir_ = tmpl;
}

void HostNetnsTest::TearDown() {
  if (orig_ && ::setns(orig_.get(), CLONE_NEWNET) < 0) std::abort();  // never run on in the test's ns
  if (!state_dir_.empty()) remove_all(state_dir_);
}

UniqueFd HostNetnsTest::new_netns() {
  if (::unshare(CLONE_NEWNET) < 0) throw_errno("unshare(CLONE_NEWNET)");
  UniqueFd ns = open_thread_netns();
  if (::setns(host_.get(), CLONE_NEWNET) < 0) std::abort();
  return ns;
}

UniqueFd HostNetnsTest::make_uplink() {
  UniqueFd outside = new_netns();
  NlSocket h;
  h.add_veth({.host_name = "up0",
              .master = 0,
              .mtu = 1500,
              .peer_name = "out0",
              .peer_netns_fd = outside.get(),
              .peer_mac = {0x02, 0, 0, 0, 0, 2}});
  int up0 = h.link("up0")->index;
  h.add_address(up0, parse_cidr("192.0.2.1/24"));
  h.set_up(up0);
  h.add_default_route(*parse_ipv4("192.0.2.2"), up0);
  NlSocket o = NlSocket::in_netns(outside.get());
  int out0 = o.link("out0")->index;
  o.add_address(out0, parse_cidr("192.0.2.2/24"));
  o.set_up(out0);
  o.set_up(o.link("lo")->index);
  return outside;
}

std::vector<std::string> HostNetnsTest::host_links(const std::string& prefix) const {
  std::vector<std::string> out;
  NlSocket h = NlSocket::in_netns(host_.get());
  for (const auto& l : h.links())
    if (l.name.rfind(prefix, 0) == 0) out.push_back(l.name);
  return out;
}

bool HostNetnsTest::skiff_table_exists() const {
  NetnsEnter in(host_.get());
  NftContext nft;
  return nft.run_output("list tables").find("table inet skiff\n") != std::string::npos;
}

UniqueFd socket_in(int netns_fd, int type) {
  NetnsEnter in(netns_fd);
  UniqueFd s(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  if (!s) throw_errno("socket");
  return s;
}

static sockaddr_in sockaddr_of(Ipv4Addr a, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = a.be();
  return sa;
}

UniqueFd tcp_listener(int netns_fd, uint16_t& port, Ipv4Addr bind_to) {
  UniqueFd s = socket_in(netns_fd, SOCK_STREAM);
  int one = 1;
  ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa = sockaddr_of(bind_to, port);
  check(::bind(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), "bind");
  check(::listen(s.get(), 16), "listen");
  socklen_t len = sizeof sa;
  check(::getsockname(s.get(), reinterpret_cast<sockaddr*>(&sa), &len), "getsockname");
  port = ntohs(sa.sin_port);
  return s;
}

ConnectResult tcp_roundtrip(int client_netns, Ipv4Addr addr, uint16_t port, int listener, int timeout_s) {
  ConnectResult r;
  UniqueFd c = socket_in(client_netns, SOCK_STREAM);
  timeval tv{timeout_s, 0};
  ::setsockopt(c.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ::setsockopt(c.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in sa = sockaddr_of(addr, port);
  if (::connect(c.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    r.error = std::string("connect: ") + std::strerror(errno);
    return r;
  }
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, timeout_s * 1000) != 1) {
    r.error = "connected, but the listener saw no connection";
    return r;
  }
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  UniqueFd s(::accept4(listener, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC));
  if (!s) {
    r.error = std::string("accept: ") + std::strerror(errno);
    return r;
  }
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  r.peer_seen = Ipv4Addr{ntohl(peer.sin_addr.s_addr)};
  char b = 'x';
  if (::send(c.get(), &b, 1, MSG_NOSIGNAL) != 1 || ::recv(s.get(), &b, 1, 0) != 1 ||
      ::send(s.get(), &b, 1, MSG_NOSIGNAL) != 1 || ::recv(c.get(), &b, 1, 0) != 1) {
    r.error = std::string("exchange: ") + std::strerror(errno);
    return r;
  }
  r.ok = true;
  return r;
}

}  // namespace skiff::net::test
