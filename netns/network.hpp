// Network: one named network's config and its Linux bridge. skiff marks a bridge as its own with the
// interface alias "skiff network <name>" and never touches a bridge (or any link) of that name that
// does not carry the mark.
#pragma once

#include <string>

#include "netlink.hpp"
#include "network_config.hpp"

namespace skiff::net {

class Network {
 public:
  explicit Network(NetworkConfig config) : config_(std::move(config)) {}
  const NetworkConfig& config() const { return config_; }
  std::string bridge_alias() const { return "skiff network " + config_.name; }

  // Whether a link named like the bridge exists and is ours; throws EEXIST if it exists and is not.
  bool bridge_exists(const NlSocket& host) const;
  // Creates (or completes) the bridge: up, gateway address, forwarding. Returns its ifindex and whether
  // it was created now (for the caller's rollback).
  int ensure_bridge(const NlSocket& host, bool* created = nullptr) const;
  void delete_bridge(const NlSocket& host) const;

 private:
  NetworkConfig config_;
};

}  // namespace skiff::net
