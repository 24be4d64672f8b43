#include "netlink.hpp"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/nexthop.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>

#include "error.hpp"
#include "netns_ref.hpp"

namespace skiff::net {

std::string mac_str(const Mac& m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

// libnl folds errno values into its own codes; map back the ones callers act on.
static int nl_to_errno(int nle) {
  switch (nle) {
    case NLE_EXIST:
      return EEXIST;
    case NLE_NODEV:
      return ENODEV;
    case NLE_OBJ_NOTFOUND:
      return ENOENT;
    case NLE_PERM:
      return EPERM;
    case NLE_NOACCESS:
      return EACCES;
    case NLE_BUSY:
      return EBUSY;
    case NLE_INVAL:
      return EINVAL;
    case NLE_RANGE:
      return ERANGE;
    case NLE_NOMEM:
      return ENOMEM;
    case NLE_OPNOTSUPP:
      return EOPNOTSUPP;
    case NLE_AGAIN:
      return EAGAIN;
    default:
      return EIO;
  }
}

int check_nl(int rc, const std::string& what) {
  if (rc >= 0) return rc;
  int nle = -rc;
  throw Error(nl_to_errno(nle), what + ": " + nl_geterror(nle));
}

static NlPtr<nl_sock> connect_route_socket() {
  NlPtr<nl_sock> s(nl_socket_alloc());
  if (!s) throw Error(ENOMEM, "allocate netlink socket");
  check_nl(nl_connect(s.get(), NETLINK_ROUTE), "connect netlink socket");
  return s;
}

NlSocket::NlSocket() : sock_(connect_route_socket()) {}

NlSocket NlSocket::in_netns(int netns_fd) {
  // A socket belongs to the namespace it was created in, whatever thread uses it afterwards.
  NetnsEnter enter(netns_fd);
  return NlSocket(connect_route_socket());
}

static LinkInfo to_info(rtnl_link* l) {
  LinkInfo i;
  i.index = rtnl_link_get_ifindex(l);
  if (auto* n = rtnl_link_get_name(l)) i.name = n;
  if (auto* t = rtnl_link_get_type(l)) i.type = t;
  if (auto* a = rtnl_link_get_ifalias(l)) i.alias = a;
  i.mtu = rtnl_link_get_mtu(l);
  i.master = rtnl_link_get_master(l);
  i.up = (rtnl_link_get_flags(l) & IFF_UP) != 0;
  if (nl_addr* a = rtnl_link_get_addr(l); a && nl_addr_get_len(a) == 6) {
    Mac m;
    std::memcpy(m.data(), nl_addr_get_binary_addr(a), 6);
    i.mac = mac_str(m);
  }
  return i;
}

static std::optional<LinkInfo> get_link(nl_sock* s, int index, const char* name) {
  rtnl_link* raw = nullptr;
  int rc = rtnl_link_get_kernel(s, index, name, &raw);
  if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND) return std::nullopt;
  check_nl(rc, std::string("get link ") + (name ? name : std::to_string(index)));
  NlPtr<rtnl_link> l(raw);
  return to_info(l.get());
}

std::optional<LinkInfo> NlSocket::link(const std::string& name) const {
  if (name.empty() || name.size() >= IFNAMSIZ) return std::nullopt;
  return get_link(sock_.get(), 0, name.c_str());
}

std::optional<LinkInfo> NlSocket::link(int index) const {
  return get_link(sock_.get(), index, nullptr);
}

std::vector<LinkInfo> NlSocket::links() const {
  nl_cache* raw = nullptr;
  check_nl(rtnl_link_alloc_cache(sock_.get(), AF_UNSPEC, &raw), "list links");
  NlPtr<nl_cache> cache(raw);
  std::vector<LinkInfo> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o))
    out.push_back(to_info(reinterpret_cast<rtnl_link*>(o)));
  return out;
}

void NlSocket::add_bridge(const std::string& name, const std::string& alias, unsigned mtu,
                          const Mac& mac) const {
  NlPtr<rtnl_link> l(rtnl_link_alloc());
  if (!l) throw Error(ENOMEM, "allocate link");
  check_nl(rtnl_link_set_type(l.get(), "bridge"), "bridge link type");
  rtnl_link_set_name(l.get(), name.c_str());
  rtnl_link_set_mtu(l.get(), mtu);
  NlPtr<nl_addr> lladdr(nl_addr_build(AF_LLC, mac.data(), mac.size()));
  rtnl_link_set_addr(l.get(), lladdr.get());
  check_nl(rtnl_link_add(sock_.get(), l.get(), NLM_F_CREATE | NLM_F_EXCL), "create bridge " + name);
  // The kernel ignores IFLA_IFALIAS on creation; it takes it as a change.
  auto info = link(name);
  if (!info) throw Error(ENODEV, "bridge " + name + " vanished after creation");
  NlPtr<rtnl_link> orig(rtnl_link_alloc());
  NlPtr<rtnl_link> change(rtnl_link_alloc());
  rtnl_link_set_ifindex(orig.get(), info->index);
  rtnl_link_set_ifalias(change.get(), alias.c_str());
  check_nl(rtnl_link_change(sock_.get(), orig.get(), change.get(), 0), "set alias of bridge " + name);
}

void NlSocket::add_veth(const VethSpec& spec) const {
  NlPtr<rtnl_link> host(rtnl_link_veth_alloc());
  if (!host) throw Error(ENOMEM, "allocate veth");
  NlPtr<rtnl_link> peer(rtnl_link_veth_get_peer(host.get()));
  rtnl_link_set_name(host.get(), spec.host_name.c_str());
  rtnl_link_set_mtu(host.get(), spec.mtu);
  if (spec.master > 0) rtnl_link_set_master(host.get(), spec.master);
  rtnl_link_set_flags(host.get(), IFF_UP);
  rtnl_link_set_name(peer.get(), spec.peer_name.c_str());
  rtnl_link_set_mtu(peer.get(), spec.mtu);
  if (spec.peer_netns_fd >= 0) rtnl_link_set_ns_fd(peer.get(), spec.peer_netns_fd);
  NlPtr<nl_addr> mac(nl_addr_build(AF_LLC, spec.peer_mac.data(), spec.peer_mac.size()));
  rtnl_link_set_addr(peer.get(), mac.get());
  check_nl(rtnl_link_add(sock_.get(), host.get(), NLM_F_CREATE | NLM_F_EXCL),
           "create veth " + spec.host_name + " (peer " + spec.peer_name + ")");
}

void NlSocket::set_hairpin(int index) const {
  // RTM_SETLINK for family AF_BRIDGE with IFLA_PROTINFO { IFLA_BRPORT_MODE = 1 }, as
  // `bridge link set dev X hairpin on` sends it (libnl-route has no setter for port modes).
  std::unique_ptr<nl_msg, void (*)(nl_msg*)> msg(nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK),
                                                 nlmsg_free);
  if (!msg) throw Error(ENOMEM, "allocate netlink message");
  ifinfomsg ifi{};
  ifi.ifi_family = AF_BRIDGE;
  ifi.ifi_index = index;
  const std::string what = "set hairpin mode on bridge port " + std::to_string(index);
  if (nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0) throw Error(ENOMEM, what);
  nlattr* pi = nla_nest_start(msg.get(), IFLA_PROTINFO | NLA_F_NESTED);
  if (!pi || nla_put_u8(msg.get(), IFLA_BRPORT_MODE, 1) < 0) throw Error(ENOMEM, what);
  nla_nest_end(msg.get(), pi);
  check_nl(nl_send_sync(sock_.get(), msg.release()), what);  // nl_send_sync frees the message
}

void NlSocket::delete_link(const std::string& name) const {
  NlPtr<rtnl_link> l(rtnl_link_alloc());
  rtnl_link_set_name(l.get(), name.c_str());
  check_nl(rtnl_link_delete(sock_.get(), l.get()), "delete link " + name);
}

bool NlSocket::delete_link_if_exists(const std::string& name) const {
  if (name.empty()) return false;
  NlPtr<rtnl_link> l(rtnl_link_alloc());
  rtnl_link_set_name(l.get(), name.c_str());
  int rc = rtnl_link_delete(sock_.get(), l.get());
  if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND) return false;
  check_nl(rc, "delete link " + name);
  return true;
}

void NlSocket::set_up(int index) const {
  NlPtr<rtnl_link> orig(rtnl_link_alloc());
  NlPtr<rtnl_link> change(rtnl_link_alloc());
  rtnl_link_set_ifindex(orig.get(), index);
  rtnl_link_set_flags(change.get(), IFF_UP);
  check_nl(rtnl_link_change(sock_.get(), orig.get(), change.get(), 0),
           "set link " + std::to_string(index) + " up");
}

static NlPtr<nl_addr> to_nl(Ipv4Addr a, int prefix) {
  uint32_t be = a.be();
  NlPtr<nl_addr> n(nl_addr_build(AF_INET, &be, 4));
  if (!n) throw Error(ENOMEM, "allocate address");
  nl_addr_set_prefixlen(n.get(), prefix);
  return n;
}

static Ipv4Addr from_nl(nl_addr* a) {
  uint32_t be = 0;
  if (a && nl_addr_get_len(a) == 4) std::memcpy(&be, nl_addr_get_binary_addr(a), 4);
  return Ipv4Addr{ntohl(be)};
}

void NlSocket::add_address(int index, Ipv4Net addr) const {
  NlPtr<rtnl_addr> a(rtnl_addr_alloc());
  rtnl_addr_set_ifindex(a.get(), index);
  auto local = to_nl(addr.addr, addr.prefix);
  check_nl(rtnl_addr_set_local(a.get(), local.get()), "address");
  auto brd = to_nl(addr.broadcast(), addr.prefix);
  rtnl_addr_set_broadcast(a.get(), brd.get());
  check_nl(rtnl_addr_add(sock_.get(), a.get(), 0), "add address " + addr.str());
}

std::vector<std::pair<int, Ipv4Net>> NlSocket::addresses() const {
  nl_cache* raw = nullptr;
  check_nl(rtnl_addr_alloc_cache(sock_.get(), &raw), "list addresses");
  NlPtr<nl_cache> cache(raw);
  std::vector<std::pair<int, Ipv4Net>> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_family(a) != AF_INET) continue;
    out.emplace_back(rtnl_addr_get_ifindex(a),
                     Ipv4Net{from_nl(rtnl_addr_get_local(a)), rtnl_addr_get_prefixlen(a)});
  }
  return out;
}

std::vector<NlSocket::Route> NlSocket::route_entries() const {
  nl_cache* raw = nullptr;
  check_nl(rtnl_route_alloc_cache(sock_.get(), AF_INET, 0, &raw), "list routes");
  NlPtr<nl_cache> cache(raw);
  std::vector<Route> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST) continue;
    nl_addr* dst = rtnl_route_get_dst(r);
    int ifindex = 0;
    if (rtnl_route_get_nnexthops(r) > 0) ifindex = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, 0));
    out.push_back({ifindex, Ipv4Net{from_nl(dst), dst ? static_cast<int>(nl_addr_get_prefixlen(dst)) : 0},
                   rtnl_route_get_protocol(r)});
  }
  return out;
}

std::vector<std::pair<int, Ipv4Net>> NlSocket::routes() const {
  std::vector<std::pair<int, Ipv4Net>> out;
  for (const auto& r : route_entries()) out.emplace_back(r.ifindex, r.dst);
  return out;
}

static NlPtr<rtnl_route> link_route(Ipv4Net dst, int index, uint8_t protocol) {
  NlPtr<rtnl_route> r(rtnl_route_alloc());
  rtnl_route_set_family(r.get(), AF_INET);
  rtnl_route_set_table(r.get(), RT_TABLE_MAIN);
  rtnl_route_set_scope(r.get(), RT_SCOPE_LINK);
  rtnl_route_set_protocol(r.get(), protocol);
  rtnl_route_set_type(r.get(), RTN_UNICAST);
  auto d = to_nl(Ipv4Addr{dst.network()}, dst.prefix);
  check_nl(rtnl_route_set_dst(r.get(), d.get()), "route destination");
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  if (!nh) throw Error(ENOMEM, "allocate nexthop");
  rtnl_route_nh_set_ifindex(nh, index);
  rtnl_route_add_nexthop(r.get(), nh);  // the route owns nh from here on
  return r;
}

void NlSocket::add_link_route(Ipv4Net dst, int index, uint8_t protocol) const {
  auto r = link_route(dst, index, protocol);
  int rc = rtnl_route_add(sock_.get(), r.get(), NLM_F_EXCL);
  if (rc == -NLE_EXIST) return;
  check_nl(rc, "add route " + dst.str());
}

bool NlSocket::delete_link_route(Ipv4Net dst, int index, uint8_t protocol) const {
  auto r = link_route(dst, index, protocol);
  int rc = rtnl_route_delete(sock_.get(), r.get(), 0);
  if (rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NOADDR || rc == -NLE_NODEV) return false;
  check_nl(rc, "delete route " + dst.str());
  return true;
}

void NlSocket::add_default_route(Ipv4Addr gateway, int index) const {
  NlPtr<rtnl_route> r(rtnl_route_alloc());
  rtnl_route_set_family(r.get(), AF_INET);
  rtnl_route_set_table(r.get(), RT_TABLE_MAIN);
  rtnl_route_set_scope(r.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_protocol(r.get(), RTPROT_BOOT);
  rtnl_route_set_type(r.get(), RTN_UNICAST);
  auto dst = to_nl(Ipv4Addr{0}, 0);
  check_nl(rtnl_route_set_dst(r.get(), dst.get()), "route destination");
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  if (!nh) throw Error(ENOMEM, "allocate nexthop");
  auto gw = to_nl(gateway, 32);
  rtnl_route_nh_set_gateway(nh, gw.get());
  rtnl_route_nh_set_ifindex(nh, index);
  rtnl_route_add_nexthop(r.get(), nh);  // the route owns nh from here on
  check_nl(rtnl_route_add(sock_.get(), r.get(), NLM_F_EXCL), "add default route via " + gateway.str());
}

}  // namespace skiff::net
