#include "ports.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "unique_fd.hpp"

namespace skiff::net {

bool PortMapping::conflicts_with(const PortMapping& o) const {
  return proto == o.proto && host_port == o.host_port &&
         (host_ip == o.host_ip || any_host_ip() || o.any_host_ip());
}

std::string PortMapping::str() const {
  return host_ip.str() + ":" + std::to_string(host_port) + ":" + std::to_string(container_port) +
         (proto == Proto::tcp ? "/tcp" : "/udp");
}

static uint16_t parse_port(std::string_view s, std::string_view whole) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || v == 0 || v > 65535)
    throw Error("invalid port mapping \"" + std::string(whole) + "\": \"" + std::string(s) +
                "\" is not a port (1-65535)");
  return static_cast<uint16_t>(v);
}

PortMapping parse_port_mapping(std::string_view s) {
  PortMapping m;
  std::string_view rest = s;
  if (auto slash = rest.rfind('/'); slash != std::string_view::npos) {
    auto proto = rest.substr(slash + 1);
    if (proto == "tcp")
      m.proto = Proto::tcp;
    else if (proto == "udp")
      m.proto = Proto::udp;
    else
      throw Error("invalid port mapping \"" + std::string(s) + "\": protocol must be tcp or udp");
    rest = rest.substr(0, slash);
  }
  auto last = rest.rfind(':');
  if (last == std::string_view::npos)
    throw Error("invalid port mapping \"" + std::string(s) +
                "\": expected [HOST_IP:]HOST_PORT:CTR_PORT[/PROTO]");
  m.container_port = parse_port(rest.substr(last + 1), s);
  rest = rest.substr(0, last);
  auto first = rest.rfind(':');
  if (first != std::string_view::npos) {
    auto ip = parse_ipv4(rest.substr(0, first));
    if (!ip)
      throw Error("invalid port mapping \"" + std::string(s) + "\": \"" + std::string(rest.substr(0, first)) +
                  "\" is not an IPv4 address");
    m.host_ip = *ip;
    rest = rest.substr(first + 1);
  }
  m.host_port = parse_port(rest, s);
  return m;
}

void check_host_port_free(const PortMapping& p) {
  UniqueFd fd(::socket(AF_INET, (p.proto == Proto::tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket");
  // SO_REUSEADDR: a connection lingering in TIME_WAIT is no owner; a listener or a bound socket is.
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(p.host_port);
  sa.sin_addr.s_addr = p.host_ip.be();
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    if (errno == EADDRINUSE) throw Error("host port " + p.str() + " is in use by a socket on the host");
    // EADDRNOTAVAIL: the host IP is not an address of this host; nothing would ever reach the rule.
    if (errno == EADDRNOTAVAIL)
      throw Error("cannot publish " + p.str() + ": " + p.host_ip.str() + " is not an address of this host");
    throw_errno("check host port " + p.str());
  }
}

void to_json(nlohmann::json& j, const PortMapping& p) {
  j = p.str();
}
void from_json(const nlohmann::json& j, PortMapping& p) {
  p = parse_port_mapping(j.get<std::string>());
}

}  // namespace skiff::net
