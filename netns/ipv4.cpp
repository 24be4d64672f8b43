#include "ipv4.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "error.hpp"

namespace skiff::net {

std::string Ipv4Addr::str() const {
  return std::to_string(value >> 24) + "." + std::to_string((value >> 16) & 0xff) + "." +
         std::to_string((value >> 8) & 0xff) + "." + std::to_string(value & 0xff);
}

uint32_t Ipv4Addr::be() const {
  return htonl(value);
}

bool Ipv4Net::overlaps(const Ipv4Net& o) const {
  int p = std::min(prefix, o.prefix);
  uint32_t m = p == 0 ? 0 : ~uint32_t{0} << (32 - p);
  return (addr.value & m) == (o.addr.value & m);
}

std::string Ipv4Net::str() const {
  return addr.str() + "/" + std::to_string(prefix);
}

std::optional<Ipv4Addr> parse_ipv4(std::string_view s) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (s.empty() || s.front() != '.') return std::nullopt;
      s.remove_prefix(1);
    }
    size_t n = 0;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
    // "010" is octal to inet_aton and decimal to others: refuse the ambiguity.
    if (n == 0 || n > 3 || (n > 1 && s[0] == '0')) return std::nullopt;
    unsigned octet = 0;
    std::from_chars(s.data(), s.data() + n, octet);
    if (octet > 255) return std::nullopt;
    v = (v << 8) | octet;
    s.remove_prefix(n);
  }
  if (!s.empty()) return std::nullopt;
  return Ipv4Addr{v};
}

Ipv4Net parse_cidr(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos)
    throw Error("invalid CIDR \"" + std::string(s) + "\": expected ADDRESS/PREFIX, e.g. 10.88.0.0/16");
  auto addr = parse_ipv4(s.substr(0, slash));
  if (!addr)
    throw Error("invalid CIDR \"" + std::string(s) + "\": \"" + std::string(s.substr(0, slash)) +
                "\" is not an IPv4 address");
  auto ps = s.substr(slash + 1);
  int prefix = -1;
  auto [ptr, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), prefix);
  if (ps.empty() || ec != std::errc{} || ptr != ps.data() + ps.size() || prefix < 0 || prefix > 32 ||
      (ps.size() > 1 && ps[0] == '0'))
    throw Error("invalid CIDR \"" + std::string(s) + "\": prefix length must be 0..32");
  return Ipv4Net{*addr, prefix};
}

Ipv4Net parse_subnet(std::string_view s) {
  Ipv4Net n = parse_cidr(s);
  if (n.addr != n.network())
    throw Error("invalid subnet \"" + std::string(s) + "\": host bits set (did you mean " +
                Ipv4Net{n.network(), n.prefix}.str() + "?)");
  if (n.prefix < 8 || n.prefix > 30)
    throw Error("invalid subnet \"" + std::string(s) +
                "\": prefix must be /8 to /30 (a gateway and at least one container)");
  return n;
}

}  // namespace skiff::net
