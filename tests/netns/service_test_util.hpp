// Service proxy tests: "pods" are network namespaces attached to a test bridge network, each with a
// small TCP and/or UDP server that answers with the pod's name; clients are pods, the host, or the
// "outside" namespace behind the host's uplink (netns_fixture.hpp). Nothing leaves the test's own
// namespaces.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "netns_fixture.hpp"
#include "network_store.hpp"
#include "service_proxy.hpp"

namespace skiff::net::test {

// Servers in any namespaces, served by one thread: TCP ones write "NAME\n" to each connection and
// close it; UDP ones answer each datagram with "NAME". Each records the client addresses it saw.
class NameServers {
 public:
  NameServers();
  ~NameServers();
  void add_tcp(int netns_fd, uint16_t port, const std::string& name);
  void add_udp(int netns_fd, uint16_t port, const std::string& name);
  void start();
  // The client address of the last connection or datagram `name` served.
  Ipv4Addr last_peer(const std::string& name);

 private:
  void loop();
  struct Server {
    UniqueFd fd;
    bool udp;
    std::string name;
  };
  std::vector<Server> servers_;
  UniqueFd stop_;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, Ipv4Addr> peers_;
};

// What a client got: the server's name, or the error (errno) that stopped it.
struct Answer {
  std::string name;  // empty on error
  int err = 0;       // ECONNREFUSED for a refused connection, ETIMEDOUT/EAGAIN for a hang
  std::string error;
};
// A TCP connection from `client_netns` to addr:port, reading the server's name. Bounded by a 5 s
// guard against hangs (not a timing assertion).
Answer ask_tcp(int client_netns, Ipv4Addr addr, uint16_t port);
// A datagram on `sock` (a UDP socket of the client, connected to addr:port), and its answer.
Answer ask_udp(int sock);
UniqueFd udp_client(int client_netns, Ipv4Addr addr, uint16_t port);

class ServiceTest : public HostNetnsTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  struct Pod {
    std::string name;
    UniqueFd ns;
    Attachment att;
    Ipv4Addr ip() const { return att.address.addr; }
  };
  // Attaches a new namespace to the test network as `name`.
  Pod& add_pod(const std::string& name);
  // The proxy, made on first use (state under the test's dir, the test network's store).
  ServiceProxy& proxy();
  void reset_proxy() { proxy_.reset(); }
  ServiceProxyOptions proxy_options() const;

  // An endpoint for `pod` with the same target port for every name in `ports`.
  static ServiceEndpoint endpoint(const Pod& pod, std::map<std::string, uint16_t> ports, bool ready = true,
                                  bool serving = true, bool terminating = false);
  // `count` connections from `client` to addr:port; how many each server name answered ("" counts
  // failures).
  std::map<std::string, int> spread(int client, Ipv4Addr addr, uint16_t port, int count);
  // The whole ruleset of the test's host namespace, as nft lists it.
  std::string ruleset();

  bool with_uplink_ = true;  // the host's default route through the outside namespace
  UniqueFd outside_;
  std::unique_ptr<NetworkStore> store_;
  std::vector<std::unique_ptr<Pod>> pods_;
  NameServers servers_;

 private:
  std::unique_ptr<ServiceProxy> proxy_;
};

const Ipv4Addr kHostUplink = *parse_ipv4("192.0.2.1");
const Ipv4Addr kOutside = *parse_ipv4("192.0.2.2");

}  // namespace skiff::net::test
