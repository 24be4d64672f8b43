// RAII over libnl-route: a connected NETLINK_ROUTE socket (in the caller's network namespace or in
// another one), owners for libnl objects, and the link/address/route operations attach and the bridge
// need. Sockets are kept open by their owners: a netlink round trip costs microseconds, opening and
// binding a socket costs more, and spawning `ip` costs milliseconds.
#pragma once

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipv4.hpp"

namespace skiff::net {

namespace detail {
struct NlDeleter {
  void operator()(nl_sock* p) const noexcept { nl_socket_free(p); }
  void operator()(rtnl_link* p) const noexcept { rtnl_link_put(p); }
  void operator()(nl_addr* p) const noexcept { nl_addr_put(p); }
  void operator()(rtnl_addr* p) const noexcept { rtnl_addr_put(p); }
  void operator()(rtnl_route* p) const noexcept { rtnl_route_put(p); }
  void operator()(nl_cache* p) const noexcept { nl_cache_free(p); }
};
}  // namespace detail

template <typename T>
using NlPtr = std::unique_ptr<T, detail::NlDeleter>;

using Mac = std::array<uint8_t, 6>;
std::string mac_str(const Mac& m);

// Throws skiff::Error for a negative libnl return code, with the errno libnl's code stands for (so
// callers can tell EEXIST from ENODEV) and `what` as context.
int check_nl(int rc, const std::string& what);

// A link as the kernel reports it.
struct LinkInfo {
  int index = 0;
  std::string name;
  std::string type;   // "bridge", "veth", "" for a plain device
  std::string alias;  // IFLA_IFALIAS: how skiff marks a bridge as its own
  unsigned mtu = 0;
  int master = 0;
  bool up = false;
  std::string mac;  // "02:5b:..." (empty if the link has no hardware address)
};

class NlSocket {
 public:
  // Connects in the calling thread's current network namespace.
  NlSocket();
  // Connects inside the network namespace `netns_fd` (the socket stays bound to it for its life).
  static NlSocket in_netns(int netns_fd);

  nl_sock* get() const noexcept { return sock_.get(); }

  std::optional<LinkInfo> link(const std::string& name) const;
  std::optional<LinkInfo> link(int index) const;
  std::vector<LinkInfo> links() const;

  // Creates a bridge `name`, down, with alias, MTU and a fixed MAC (a bridge without one takes the
  // lowest MAC of its ports, so the gateway's MAC would change under the containers' ARP caches as
  // veths come and go). Throws (EEXIST if it exists).
  void add_bridge(const std::string& name, const std::string& alias, unsigned mtu, const Mac& mac) const;

  struct VethSpec {
    std::string host_name;
    int master = 0;  // bridge ifindex for the host end
    unsigned mtu = 1500;
    std::string peer_name;   // its name inside the container's namespace
    int peer_netns_fd = -1;  // created directly there: no rename, no move afterwards
    Mac peer_mac{};
  };
  // One RTM_NEWLINK: the host end up and enslaved, the peer created inside its namespace.
  void add_veth(const VethSpec& spec) const;

  // Turns on hairpin mode of the bridge port `index`: the bridge may send a frame back out of the
  // port it came in on. Needed for a container reaching its own published port while the host's
  // bridge-netfilter is on (net.bridge.bridge-nf-call-iptables, on by default where br_netfilter is
  // built in): DNAT then happens at the bridge, which bridges the packet back to its sender's port
  // instead of routing it, and drops it there without hairpin mode.
  void set_hairpin(int index) const;

  void delete_link(const std::string& name) const;  // throws ENODEV if absent
  bool delete_link_if_exists(const std::string& name) const;
  void set_up(int index) const;

  void add_address(int index, Ipv4Net addr) const;
  std::vector<std::pair<int, Ipv4Net>> addresses() const;  // (ifindex, address/prefix)
  // IPv4 routes of the main table: (ifindex of the first hop or 0, destination).
  std::vector<std::pair<int, Ipv4Net>> routes() const;
  struct Route {
    int ifindex = 0;
    Ipv4Net dst{};
    uint8_t protocol = 0;  // rtm_protocol: who added it (RTPROT_BOOT, RTPROT_KERNEL, a program's own)
  };
  std::vector<Route> route_entries() const;
  // A route to `dst` straight out of the link `index` (scope link), tagged with `protocol` so that
  // its owner finds it again; an identical one existing already is fine.
  void add_link_route(Ipv4Net dst, int index, uint8_t protocol) const;
  // Deletes it; false if there was none.
  bool delete_link_route(Ipv4Net dst, int index, uint8_t protocol) const;
  void add_default_route(Ipv4Addr gateway, int index) const;

 private:
  explicit NlSocket(NlPtr<nl_sock> s) : sock_(std::move(s)) {}
  NlPtr<nl_sock> sock_;
};

}  // namespace skiff::net
