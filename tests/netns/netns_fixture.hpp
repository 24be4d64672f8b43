// Every network test works inside a network namespace it creates first: SetUp moves the test's thread
// into a fresh namespace (the test's "host", with only `lo`), and the "containers" are further
// anonymous namespaces held by fds. When the test ends, the thread goes back and the namespaces die
// with everything in them (bridges, veths, nft tables): nothing reaches the real host's network.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/types.h>

#include <optional>
#include <string>

#include "ipv4.hpp"
#include "unique_fd.hpp"

namespace skiff::net::test {

class HostNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A new, empty network namespace (only `lo`, down), created from the host one.
  UniqueFd new_netns();
  int host_netns() const { return host_.get(); }
  const std::string& state_dir() const { return state_dir_; }

  // An "outside" namespace joined to the host by a veth: host side `up0` 192.0.2.1/24 carrying the
  // host's default route via 192.0.2.2 (the outside end). Returns the outside namespace.
  UniqueFd make_uplink();

  // Names of links in the host namespace whose name starts with `prefix`.
  std::vector<std::string> host_links(const std::string& prefix = "") const;
  // Whether the host namespace has an nftables table `inet skiff`.
  bool skiff_table_exists() const;

 private:
  UniqueFd orig_;
  UniqueFd host_;
  std::string state_dir_;
};

// A socket made inside `netns_fd` (a socket stays in the namespace it was created in).
UniqueFd socket_in(int netns_fd, int type);
// A TCP listener inside `netns_fd` on `port` (0: any); returns it and its port.
UniqueFd tcp_listener(int netns_fd, uint16_t& port, Ipv4Addr bind_to = {});

struct ConnectResult {
  bool ok = false;
  std::string error;
  Ipv4Addr peer_seen{};  // the client address as the server saw it (accept's peer)
};
// From `client_netns`, connects to addr:port; `listener` (in whatever namespace) accepts, and one
// byte travels each way. Bounded by a 5 s guard against hangs (not a timing assertion).
ConnectResult tcp_roundtrip(int client_netns, Ipv4Addr addr, uint16_t port, int listener, int timeout_s = 5);

}  // namespace skiff::net::test
