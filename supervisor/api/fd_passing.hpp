// The protocol after an upgrade to "skiff-fds/1" (exec -it, attach): the server sends one message
// whose data is a JSON header ({"tty":true,"fds":["pty"]} or {"fds":["stdin","stdout","stderr"]}) and
// whose SCM_RIGHTS carry those fds; the client then uses them directly, and the server later writes
// one JSON line on the connection ({"exitCode":N}) and closes it. See server.hpp for why fds are passed
// rather than bytes copied. Plain syscalls: thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "unique_fd.hpp"

namespace skiff::api {

inline constexpr const char* kFdProtocol = "skiff-fds/1";

// Sends `data` (1..4096 bytes) with `fds` (at most 16) in one message.
void send_fds(int sock, std::string_view data, const std::vector<int>& fds);
// Receives one such message; `fds` gets what came (owned, close-on-exec).
std::string recv_fds(int sock, std::vector<UniqueFd>& fds);

}  // namespace skiff::api
