// NetworkStore::attach / detach / reclaim: a container's veth, address, routes, hosts files and
// published ports, all or nothing.
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>

#include <algorithm>
#include <random>
#include <unordered_map>

#include "error.hpp"
#include "file_lock.hpp"
#include "file_util.hpp"
#include "hosts_files.hpp"
#include "network_store.hpp"
#include "network_store_internal.hpp"
#include "rollback.hpp"

namespace skiff::net {

static std::string random_veth_name() {
  // "sk" + 8 hex digits: fits IFNAMSIZ, and a name alone tells a host veth is skiff's.
  static thread_local std::mt19937 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string n = "sk";
  uint32_t v = rng();
  for (int i = 0; i < 8; ++i) n += hex[(v >> (i * 4)) & 0xf];
  return n;
}

// Fault injection for the crash tests: with SKIFF_NETNS_CRASH_AT=<point>, attach kills its own process
// with SIGKILL at that point, exactly as a kill -9 from outside would land there.
static void crash_point(const char* point) {
  const char* want = std::getenv("SKIFF_NETNS_CRASH_AT");
  if (want && std::strcmp(want, point) == 0) ::raise(SIGKILL);
}

int NetworkStore::reclaim_locked(std::vector<Loaded>& all) {
  size_t total = 0;
  for (const auto& l : all) total += l.ipam.allocations().size();
  if (total == 0) return 0;
  // The host end of a veth is the attachment's witness: the kernel deletes a veth pair when the
  // namespace holding its peer dies, so a ready allocation without its host veth belongs to a
  // container that no longer exists. A pending one was left by an attacher that died mid-way (under
  // the lock nobody else is attaching).
  std::unordered_map<std::string, LinkInfo> links;
  bool dumped = total > 16;  // one dump beats many single lookups
  if (dumped)
    for (auto& li : host().links()) links.emplace(li.name, li);
  auto alive = [&](const Allocation& a) {
    if (a.state != Allocation::State::ready) return false;
    std::optional<LinkInfo> li;
    if (dumped) {
      if (auto it = links.find(a.host_veth); it != links.end()) li = it->second;
    } else {
      li = host().link(a.host_veth);
    }
    return li && li->type == "veth";
  };
  int reclaimed = 0;
  for (auto& l : all) {
    std::vector<Allocation> stale;
    for (const auto& a : l.ipam.allocations())
      if (!alive(a)) stale.push_back(a);
    if (stale.empty()) continue;
    for (const auto& a : stale) {
      host().delete_link_if_exists(a.host_veth);
      l.ipam.release(a.container_id);
    }
    l.ipam.save();
    for (const auto& a : stale) remove_all(container_dir(l.config.name, a.container_id));
    l.dirty_hosts = true;
    reclaimed += static_cast<int>(stale.size());
  }
  return reclaimed;
}

int NetworkStore::reclaim() {
  mkdir_all(dir_, 0700);
  auto lock = FileLock::acquire(dir_ + "/lock");
  auto all = load_all();
  int n = reclaim_locked(all);
  std::string resolv = read_host_resolv_conf();
  for (const auto& l : all)
    if (l.dirty_hosts) write_hosts_files(l, resolv);
  // Also re-applies what someone may have removed by hand: drop the cache so the table is rewritten.
  ::unlink((dir_ + "/nft.applied").c_str());
  sync_host_state(all);
  return n;
}

Attachment NetworkStore::attach(const AttachRequest& req, const NetnsRef& netns) {
  validate_container_id(req.container_id);
  validate_ifname(req.ifname, "interface name");
  validate_network_name(req.network);
  for (size_t i = 0; i < req.ports.size(); ++i)
    for (size_t j = i + 1; j < req.ports.size(); ++j)
      if (req.ports[i].conflicts_with(req.ports[j]))
        throw Error("port " + req.ports[i].str() + " is given twice (" + req.ports[j].str() + ")");

  // The peer would be created beside the host end, and the "container" address and default route
  // would land on the host itself.
  if (netns.same_as(NetnsRef::current()))
    throw Error("the namespace given for container " + req.container_id +
                " is the host's own network namespace");

  mkdir_all(dir_, 0700);
  auto lock = FileLock::acquire(dir_ + "/lock");
  if (!get(req.network)) {
    if (req.network != kDefaultNetwork) throw Error("network " + req.network + " does not exist");
    create_locked(make_network_config(kDefaultNetwork, kDefaultSubnet));
  }
  auto all = load_all();
  reclaim_locked(all);
  auto it =
      std::find_if(all.begin(), all.end(), [&](const Loaded& l) { return l.config.name == req.network; });
  if (it == all.end()) throw Error("network " + req.network + " does not exist");
  Loaded& net = *it;
  const NetworkConfig& c = net.config;
  if (net.ipam.find(req.container_id))
    throw Error("container " + req.container_id + " is already attached to network " + c.name);

  for (const auto& p : req.ports) {
    for (const auto& l : all)
      for (const auto& a : l.ipam.allocations())
        for (const auto& q : a.ports)
          if (p.conflicts_with(q))
            throw Error("port " + p.str() + " is already published by container " + a.container_id + " (" +
                        q.str() + ") on network " + l.config.name);
    check_host_port_free(p);
  }

  const NlSocket& h = host();
  int bridge_index = Network(c).ensure_bridge(h);

  Allocation a;
  a.container_id = req.container_id;
  a.name = req.name.empty() ? req.container_id : req.name;
  a.aliases = req.aliases;
  a.ifname = req.ifname;
  a.ports = req.ports;
  a.netns_path = netns.path();
  a.netns_dev = netns.dev();
  a.netns_ino = netns.ino();
  a.pid = netns.pid();
  do a.host_veth = random_veth_name();
  while (h.link(a.host_veth));
  Ipv4Addr ip = net.ipam.allocate(a);
  a.ip = ip;
  a.mac = mac_for(ip);

  Rollback undo;
  // Recorded (pending) before any kernel object exists: whatever happens next, the record leads the
  // next operation to what must be removed.
  net.ipam.save();
  undo.add([&] {
    net.ipam.release(a.container_id);
    net.ipam.save();
  });
  crash_point("recorded");

  h.add_veth({.host_name = a.host_veth,
              .master = bridge_index,
              .mtu = c.mtu,
              .peer_name = a.ifname,
              .peer_netns_fd = netns.fd(),
              .peer_mac = a.mac});
  // Deleting the host end deletes the peer in the container too.
  undo.add([&] { h.delete_link_if_exists(a.host_veth); });
  // Only containers with published ports can reach themselves through DNAT. Hairpin mode also echoes
  // flooded frames (ARP, IPv6 neighbour solicitations) back to their sender, so it is not set on
  // ports that do not need it.
  if (!a.ports.empty()) {
    auto hv = h.link(a.host_veth);
    if (!hv) throw Error(ENODEV, "veth " + a.host_veth + " vanished after creation");
    h.set_hairpin(hv->index);
  }
  crash_point("veth");

  {
    NlSocket inside = NlSocket::in_netns(netns.fd());
    auto eth = inside.link(a.ifname);
    if (!eth) throw Error(ENODEV, "interface " + a.ifname + " did not appear in the container's namespace");
    inside.add_address(eth->index, Ipv4Net{ip, c.subnet.prefix});
    inside.set_up(eth->index);
    if (auto lo = inside.link("lo"); lo && !lo->up) inside.set_up(lo->index);
    inside.add_default_route(c.gateway, eth->index);
  }

  net.ipam.set_state(a.container_id, Allocation::State::ready);
  std::string cd = container_dir(c.name, a.container_id);
  undo.add([this, cd] { remove_all(cd); });
  std::string resolv = read_host_resolv_conf();
  // On failure the others' hosts files and the rules are re-derived without this container.
  undo.add([&] {
    net.ipam.release(a.container_id);
    write_hosts_files(net, resolv);
    sync_host_state(all);
  });
  write_hosts_files(net, resolv);
  sync_host_state(all);
  crash_point("rules");
  net.ipam.save();
  undo.commit();
  for (const auto& l : all)
    if (l.dirty_hosts && &l != &net) write_hosts_files(l, resolv);
  return to_attachment(c, *net.ipam.find(a.container_id));
}

bool NetworkStore::detach(const std::string& network, const std::string& container_id) {
  validate_network_name(network);
  validate_container_id(container_id);
  mkdir_all(dir_, 0700);
  auto lock = FileLock::acquire(dir_ + "/lock");
  if (!get(network)) throw Error("network " + network + " does not exist");
  auto all = load_all();
  auto it = std::find_if(all.begin(), all.end(), [&](const Loaded& l) { return l.config.name == network; });
  Loaded& net = *it;
  const Allocation* found = net.ipam.find(container_id);
  if (!found) return false;
  Allocation a = *found;
  host().delete_link_if_exists(a.host_veth);
  net.ipam.release(container_id);
  net.ipam.save();
  remove_all(container_dir(network, container_id));
  net.dirty_hosts = true;
  reclaim_locked(all);
  std::string resolv = read_host_resolv_conf();
  for (const auto& l : all)
    if (l.dirty_hosts) write_hosts_files(l, resolv);
  sync_host_state(all);
  return true;
}

}  // namespace skiff::net
