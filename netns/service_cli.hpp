// `skiff-network service sync|ls|teardown`: the service proxy (service_proxy.hpp) from the command
// line, for scripts, the benchmark and debugging. Each call is a new process, so `sync` is the full
// desired state every time (the supervisor keeps one proxy and uses its fast paths instead).
#pragma once

#include <CLI/CLI.hpp>

namespace skiff::net {

// Adds the `service` subcommand to `app`; a command that ran sets `exit_code` (0, or 1 after its one
// line on stderr).
void register_service_cli(CLI::App& app, int& exit_code);

}  // namespace skiff::net
