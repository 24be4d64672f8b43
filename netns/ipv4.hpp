// IPv4 addresses and prefixes as plain integers: parsing with strict validation (an invalid CIDR is a
// user error that must name what is wrong), containment and overlap for the subnet checks and IPAM.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace skiff::net {

// An IPv4 address in host byte order.
struct Ipv4Addr {
  uint32_t value = 0;
  auto operator<=>(const Ipv4Addr&) const = default;
  std::string str() const;
  // Network byte order, for sockaddr_in and netlink.
  uint32_t be() const;
};

// A prefix: `addr` may carry host bits (an interface address like 10.88.0.1/16) or not (a subnet).
struct Ipv4Net {
  Ipv4Addr addr;
  int prefix = 32;
  auto operator<=>(const Ipv4Net&) const = default;

  uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  Ipv4Addr network() const { return {addr.value & mask()}; }
  Ipv4Addr broadcast() const { return {addr.value | ~mask()}; }
  bool contains(Ipv4Addr a) const { return (a.value & mask()) == network().value; }
  bool overlaps(const Ipv4Net& o) const;
  // "10.88.0.0/16"
  std::string str() const;
};

// Parses a dotted quad; nullopt on anything else (no leading zeros tricks, no missing octets).
std::optional<Ipv4Addr> parse_ipv4(std::string_view s);

// Parses "A.B.C.D/N". Throws skiff::Error with a reason a user can act on.
Ipv4Net parse_cidr(std::string_view s);

// Like parse_cidr, and requires a subnet fit for a network: no host bits set, prefix /8../30 (room
// for a gateway and at least one container).
Ipv4Net parse_subnet(std::string_view s);

}  // namespace skiff::net
