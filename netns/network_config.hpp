// A named network as persisted in <state>/<name>/network.json: bridge, subnet, gateway, MTU, DNS.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ipv4.hpp"

namespace skiff::net {

inline constexpr const char* kDefaultNetwork = "skiff0";
inline constexpr const char* kDefaultSubnet = "10.88.0.0/16";

struct NetworkConfig {
  std::string name;
  std::string bridge;  // defaults to the name
  Ipv4Net subnet{};
  Ipv4Addr gateway{};  // defaults to the first host address
  unsigned mtu = 1500;
  std::vector<std::string> dns;         // nameservers for resolv.conf; empty: the host's
  std::vector<std::string> dns_search;  // search domains; with `dns` empty, the host's too

  // The bridge's address: the gateway with the subnet's prefix.
  Ipv4Net gateway_cidr() const { return {gateway, subnet.prefix}; }
};

// Builds a validated config from user input; fills defaults (bridge = name, gateway = .1).
// Throws skiff::Error naming the bad field.
NetworkConfig make_network_config(const std::string& name, const std::string& subnet,
                                  const std::string& gateway = "", const std::string& bridge = "",
                                  unsigned mtu = 1500, std::vector<std::string> dns = {},
                                  std::vector<std::string> dns_search = {});

void validate_network_name(const std::string& name);
void validate_ifname(const std::string& name, const std::string& what);

void to_json(nlohmann::json& j, const NetworkConfig& c);
void from_json(const nlohmann::json& j, NetworkConfig& c);

}  // namespace skiff::net
