#include "network_config.hpp"

#include <net/if.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "error.hpp"

namespace skiff::net {

void validate_network_name(const std::string& name) {
  // The name becomes a directory under the state dir and, by default, an interface name.
  bool ok = !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
  if (!ok)
    throw Error("invalid network name \"" + name +
                "\": use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit");
}

void validate_ifname(const std::string& name, const std::string& what) {
  bool ok = !name.empty() && name.size() < IFNAMSIZ && name != "." && name != "..";
  for (char c : name) ok = ok && c > ' ' && c != '/' && c != ':' && c != 0x7f;
  if (!ok)
    throw Error("invalid " + what + " \"" + name + "\": an interface name has 1-" +
                std::to_string(IFNAMSIZ - 1) + " characters, without '/', ':' or spaces");
}

NetworkConfig make_network_config(const std::string& name, const std::string& subnet,
                                  const std::string& gateway, const std::string& bridge, unsigned mtu,
                                  std::vector<std::string> dns, std::vector<std::string> dns_search) {
  validate_network_name(name);
  NetworkConfig c;
  c.name = name;
  c.bridge = bridge.empty() ? name : bridge;
  if (bridge.empty() && c.bridge.size() >= IFNAMSIZ)
    throw Error("network name \"" + name + "\" is too long for a bridge name: give --bridge");
  validate_ifname(c.bridge, "bridge name");
  c.subnet = parse_subnet(subnet.empty() ? kDefaultSubnet : subnet);
  if (gateway.empty()) {
    c.gateway = Ipv4Addr{c.subnet.network().value + 1};
  } else {
    auto gw = parse_ipv4(gateway);
    if (!gw) throw Error("invalid gateway \"" + gateway + "\": not an IPv4 address");
    if (!c.subnet.contains(*gw) || *gw == c.subnet.network() || *gw == c.subnet.broadcast())
      throw Error("invalid gateway " + gateway + ": not a host address of " + c.subnet.str());
    c.gateway = *gw;
  }
  if (mtu < 576 || mtu > 65535) throw Error("invalid MTU " + std::to_string(mtu) + ": must be 576-65535");
  c.mtu = mtu;
  for (const auto& d : dns)
    if (!parse_ipv4(d)) throw Error("invalid DNS server \"" + d + "\": not an IPv4 address");
  c.dns = std::move(dns);
  c.dns_search = std::move(dns_search);
  return c;
}

void to_json(nlohmann::json& j, const NetworkConfig& c) {
  j = nlohmann::json{
      {"name", c.name}, {"bridge", c.bridge}, {"subnet", c.subnet.str()},  {"gateway", c.gateway.str()},
      {"mtu", c.mtu},   {"dns", c.dns},       {"dns_search", c.dns_search}};
}

void from_json(const nlohmann::json& j, NetworkConfig& c) {
  c = make_network_config(j.at("name").get<std::string>(), j.at("subnet").get<std::string>(),
                          j.at("gateway").get<std::string>(), j.at("bridge").get<std::string>(),
                          j.value("mtu", 1500u), j.value("dns", std::vector<std::string>{}),
                          j.value("dns_search", std::vector<std::string>{}));
}

}  // namespace skiff::net
