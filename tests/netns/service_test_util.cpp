#include "service_test_util.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>

#include "error.hpp"
#include "netns_ref.hpp"
#include "nft.hpp"

namespace skiff::net::test {

static sockaddr_in sockaddr_of(Ipv4Addr a, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = a.be();
  return sa;
}

NameServers::NameServers() : stop_(::eventfd(0, EFD_CLOEXEC)) {
  if (!stop_) throw_errno("eventfd");
}

NameServers::~NameServers() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!::write(stop_.get(), &one, sizeof one);
    thread_.join();
  }
}

void NameServers::add_tcp(int netns_fd, uint16_t port, const std::string& name) {
  UniqueFd l = tcp_listener(netns_fd, port);
  servers_.push_back({std::move(l), false, name});
}

void NameServers::add_udp(int netns_fd, uint16_t port, const std::string& name) {
  UniqueFd s = socket_in(netns_fd, SOCK_DGRAM);
  sockaddr_in sa = sockaddr_of({}, port);
  check(::bind(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), "bind udp");
  servers_.push_back({std::move(s), true, name});
}

void NameServers::start() {
  thread_ = std::thread([this] { loop(); });
}

Ipv4Addr NameServers::last_peer(const std::string& name) {
  std::lock_guard<std::mutex> g(mu_);
  return peers_[name];
}

void NameServers::loop() {
  std::vector<pollfd> fds;
  for (const auto& s : servers_) fds.push_back({s.fd.get(), POLLIN, 0});
  fds.push_back({stop_.get(), POLLIN, 0});
  for (;;) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds.back().revents) return;
    for (size_t i = 0; i + 1 < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      const Server& s = servers_[i];
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      // The peer is recorded before answering: a client that has its answer can ask who it was.
      auto record = [&] {
        std::lock_guard<std::mutex> g(mu_);
        peers_[s.name] = Ipv4Addr{ntohl(peer.sin_addr.s_addr)};
      };
      if (s.udp) {
        char buf[64];
        if (::recvfrom(s.fd.get(), buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&peer), &len) <
            0)
          continue;
        record();
        ::sendto(s.fd.get(), s.name.data(), s.name.size(), 0, reinterpret_cast<sockaddr*>(&peer), len);
      } else {
        UniqueFd c(
            ::accept4(s.fd.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC | SOCK_NONBLOCK));
        if (!c) continue;
        record();
        std::string line = s.name + "\n";
        (void)!::send(c.get(), line.data(), line.size(), MSG_NOSIGNAL);
      }
    }
  }
}

static void set_timeouts(int fd, int seconds) {
  timeval tv{seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

static Answer failed(const std::string& what) {
  Answer a;
  a.err = errno;
  a.error = what + ": " + std::strerror(errno);
  return a;
}

Answer ask_tcp(int client_netns, Ipv4Addr addr, uint16_t port) {
  UniqueFd c = socket_in(client_netns, SOCK_STREAM);
  set_timeouts(c.get(), 5);
  sockaddr_in sa = sockaddr_of(addr, port);
  if (::connect(c.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return failed("connect");
  std::string got;
  char buf[64];
  for (;;) {
    ssize_t n = ::recv(c.get(), buf, sizeof buf, 0);
    if (n < 0) return failed("recv");
    if (n == 0) break;
    got.append(buf, n);
  }
  Answer a;
  if (got.empty() || got.back() != '\n') {
    a.error = "no name in the answer: \"" + got + "\"";
    return a;
  }
  got.pop_back();
  a.name = got;
  return a;
}

UniqueFd udp_client(int client_netns, Ipv4Addr addr, uint16_t port) {
  UniqueFd s = socket_in(client_netns, SOCK_DGRAM);
  set_timeouts(s.get(), 2);
  sockaddr_in sa = sockaddr_of(addr, port);
  check(::connect(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), "connect udp");
  return s;
}

Answer ask_udp(int sock) {
  if (::send(sock, "who", 3, 0) != 3) return failed("send");
  char buf[64];
  ssize_t n = ::recv(sock, buf, sizeof buf, 0);
  if (n < 0) return failed("recv");
  Answer a;
  a.name.assign(buf, n);
  return a;
}

void ServiceTest::SetUp() {
  HostNetnsTest::SetUp();
  if (IsSkipped()) return;
  if (with_uplink_) outside_ = make_uplink();
  store_ = std::make_unique<NetworkStore>(state_dir() + "/networks");
  store_->create(make_network_config("svcnet", "10.45.0.0/24"));
}

void ServiceTest::TearDown() {
  proxy_.reset();
  pods_.clear();
  store_.reset();
  HostNetnsTest::TearDown();
}

ServiceTest::Pod& ServiceTest::add_pod(const std::string& name) {
  auto p = std::make_unique<Pod>();
  p->name = name;
  p->ns = new_netns();
  AttachRequest r;
  r.network = "svcnet";
  r.container_id = name;
  p->att = store_->attach(r, NetnsRef::from_fd(UniqueFd(::dup(p->ns.get()))));
  pods_.push_back(std::move(p));
  return *pods_.back();
}

ServiceProxyOptions ServiceTest::proxy_options() const {
  ServiceProxyOptions o;
  o.state_dir = state_dir() + "/services";
  o.network_state_dir = state_dir() + "/networks";
  return o;
}

ServiceProxy& ServiceTest::proxy() {
  if (!proxy_) proxy_ = std::make_unique<ServiceProxy>(proxy_options());
  return *proxy_;
}

ServiceEndpoint ServiceTest::endpoint(const Pod& pod, std::map<std::string, uint16_t> ports, bool ready,
                                      bool serving, bool terminating) {
  ServiceEndpoint e;
  e.address = pod.ip();
  e.ports = std::move(ports);
  e.ready = ready;
  e.serving = serving;
  e.terminating = terminating;
  return e;
}

std::map<std::string, int> ServiceTest::spread(int client, Ipv4Addr addr, uint16_t port, int count) {
  std::map<std::string, int> seen;
  for (int i = 0; i < count; ++i) ++seen[ask_tcp(client, addr, port).name];
  return seen;
}

std::string ServiceTest::ruleset() {
  NetnsEnter in(host_netns());
  NftContext nft;
  return nft.run_output("list ruleset");
}

}  // namespace skiff::net::test
