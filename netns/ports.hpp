// Published ports: "HOST_IP:HOST_PORT:CTR_PORT/PROTO" (HOST_IP and /PROTO optional; tcp by default,
// 0.0.0.0 = every host address), conflicts between them, and whether a host socket already holds one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "ipv4.hpp"

namespace skiff::net {

enum class Proto { tcp, udp };

struct PortMapping {
  Ipv4Addr host_ip{};  // 0.0.0.0: any local address
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  Proto proto = Proto::tcp;

  bool any_host_ip() const { return host_ip.value == 0; }
  // True if both cannot be published at once (same protocol and port, and the addresses meet).
  bool conflicts_with(const PortMapping& o) const;
  std::string str() const;  // canonical "0.0.0.0:8080:80/tcp"
  bool operator==(const PortMapping&) const = default;
};

PortMapping parse_port_mapping(std::string_view s);

// Throws EADDRINUSE naming the mapping if a socket of the calling thread's namespace is bound to the
// host side already (a listening server there would be shadowed by the DNAT rule without knowing it).
void check_host_port_free(const PortMapping& p);

void to_json(nlohmann::json& j, const PortMapping& p);
void from_json(const nlohmann::json& j, PortMapping& p);

}  // namespace skiff::net
