// Terminals: a pty for process.terminal, its master sent to the --console-socket with SCM_RIGHTS
// (exactly as runc/go-runc expect: one message, the fd in SCM_RIGHTS, the data being the pty name).
#pragma once

#include <optional>
#include <string>

#include "spec.hpp"
#include "unique_fd.hpp"

namespace skiff {

struct Pty {
  UniqueFd master;
  UniqueFd slave;
  std::string slave_path;  // /dev/pts/N as seen when opened
};

// Opens a new pty pair from `ptmx_path` (e.g. the container's /dev/pts/ptmx) and applies `size` if given.
Pty open_pty(const std::string& ptmx_path, const std::optional<spec::ConsoleSize>& size);

// Connects to the unix socket at `socket_path` and sends `master` with SCM_RIGHTS.
void send_console_fd(const std::string& socket_path, int master_fd, const std::string& name);
// Same, on an already-connected socket fd.
void send_fd(int sock_fd, int fd, const std::string& name);
// Receives one fd sent by send_fd (used by tests and by `run` without a console socket).
UniqueFd recv_fd(int sock_fd, std::string* name);

// Makes `fd` the controlling terminal and stdin/stdout/stderr of the calling process (child side;
// async-signal-safe, returns -errno on failure).
int make_controlling_terminal(int fd) noexcept;

}  // namespace skiff
