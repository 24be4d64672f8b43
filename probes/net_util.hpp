// Sockets for the network probes: addresses, non-blocking connects, and errors worded as Go's net
// package words them (the kubelet's messages users search for: "dial tcp 10.0.0.5:8080: connect:
// connection refused").
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string>

#include "unique_fd.hpp"

namespace skiff::probes {

struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  // "10.0.0.5:8080", "[fd00::1]:8080": net.JoinHostPort of the address.
  std::string text() const;
};

// host:port when host is an IPv4 or IPv6 literal (brackets allowed), else nullopt (a name to resolve).
std::optional<Endpoint> numeric_endpoint(const std::string& host, int port);

// "host:port" with IPv6 hosts in brackets.
std::string join_host_port(const std::string& host, int port);

// Starts a non-blocking TCP connect. `err` is 0 when connected at once, EINPROGRESS while pending,
// else the errno (the returned fd is then empty). `nodelay` for protocols that write more than once
// before an answer (TLS, HTTP/2); a single request needs no syscall for it.
UniqueFd start_connect(const Endpoint& ep, int& err, bool nodelay);
// After the socket turned writable: 0 when connected, else the errno of the failure.
int connect_result(int fd);

// Go's wording for a failed dial: "dial tcp 10.0.0.5:81: connect: connection refused".
std::string dial_error(const std::string& addr, int err);
// Go's wording for a dial that ran out of time: "dial tcp 10.0.0.5:81: i/o timeout".
std::string dial_timeout(const std::string& addr);

}  // namespace skiff::probes
