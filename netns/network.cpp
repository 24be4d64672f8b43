#include "network.hpp"

#include "error.hpp"
#include "forwarding.hpp"
#include "ipam.hpp"

namespace skiff::net {

bool Network::bridge_exists(const NlSocket& host) const {
  auto l = host.link(config_.bridge);
  if (!l) return false;
  if (l->type != "bridge" || l->alias != bridge_alias())
    throw Error("interface " + config_.bridge + " exists and is not skiff's bridge for network " +
                config_.name + " (" + (l->type.empty() ? "a device" : "type " + l->type) +
                (l->alias.empty() ? "" : ", alias \"" + l->alias + "\"") + ")");
  return true;
}

int Network::ensure_bridge(const NlSocket& host, bool* created) const {
  if (created) *created = false;
  if (!bridge_exists(host)) {
    host.add_bridge(config_.bridge, bridge_alias(), config_.mtu, mac_for(config_.gateway));
    if (created) *created = true;
  }
  auto l = host.link(config_.bridge);
  if (!l) throw Error(ENODEV, "bridge " + config_.bridge + " vanished");
  bool has_gw = false;
  for (const auto& [idx, a] : host.addresses())
    if (idx == l->index && a.addr == config_.gateway) has_gw = true;
  if (!has_gw) host.add_address(l->index, config_.gateway_cidr());
  if (!l->up) host.set_up(l->index);
  enable_bridge_forwarding(config_.bridge);
  return l->index;
}

void Network::delete_bridge(const NlSocket& host) const {
  if (bridge_exists(host)) host.delete_link_if_exists(config_.bridge);
}

}  // namespace skiff::net
