// Per-interface IPv4 sysctls (/proc/sys/net/ipv4/conf/<if>/<key>) of the calling thread's network
// namespace. Only per-interface keys: skiff never writes net.ipv4.ip_forward or conf/all, which would
// change every interface of the host.
#pragma once

#include <optional>
#include <string>

namespace skiff::net {

// nullopt if the interface (or key) does not exist.
std::optional<std::string> read_if_sysctl(const std::string& ifname, const std::string& key);
void write_if_sysctl(const std::string& ifname, const std::string& key, const std::string& value);

}  // namespace skiff::net
