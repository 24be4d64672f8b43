// Unix stream sockets for the API: the server's listening socket (mode 0600, a stale socket file from a
// crashed supervisor replaced, a live one refused) and the client's connect, with errors a person can
// act on. Thread-safe (plain syscalls).
#pragma once

#include <string>

#include "api/http_message.hpp"
#include "unique_fd.hpp"

namespace skiff::api {

// Non-blocking, close-on-exec. Creates the parent directory (0755) if missing.
UniqueFd listen_unix(const std::string& path, int backlog = 128);
// Blocking connect. Throws skiff::Error carrying the errno: "connect <path>: No such file ...".
UniqueFd connect_unix(const std::string& path);
// SO_PEERCRED of a connected socket.
Peer peer_of(int fd);

}  // namespace skiff::api
