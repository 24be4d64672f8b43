// The whole `inet skiff` table, rendered from the networks that have containers. The table is the
// only nftables state skiff owns and it is always replaced whole in one transaction, so it can never
// disagree with IPAM for longer than one operation, and nothing of it survives the last container.
#pragma once

#include <string>
#include <vector>

#include "ipam.hpp"
#include "network_config.hpp"

namespace skiff::net {

inline constexpr const char* kNftTable = "skiff";

struct ActiveNetwork {
  NetworkConfig config;
  std::vector<Allocation> members;  // ready allocations only
};

struct RulesetInput {
  std::vector<ActiveNetwork> networks;
  // Host interfaces whose forwarding flag skiff turned on (see forwarding.hpp): traffic entering
  // through them is forwarded to skiff's bridges only.
  std::vector<std::string> enabled_uplinks;
};

// Whether a network needs route_localnet on its bridge: a port published on 127.0.0.1 or on every
// address is reached from the host through the loopback, so DNAT sends 127.0.0.1-sourced packets out
// of the bridge, which the kernel drops as martians unless route_localnet allows them.
bool needs_route_localnet(const ActiveNetwork& n);

// The nft script: empty input deletes the table; otherwise (re)creates it whole.
std::string render_ruleset(const RulesetInput& in);

}  // namespace skiff::net
