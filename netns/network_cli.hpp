// The network commands (create, ls, inspect, rm, attach, detach, reclaim) registered on a CLI11 app:
// `skiff network …` in the skiff CLI and the lean `skiff-network …` share them.
#pragma once

#include <CLI/CLI.hpp>

namespace skiff::net {

// Adds the `network` subcommand to `app`; a command that ran sets `exit_code` (0, or 1 after its one
// line on stderr).
void register_network_cli(CLI::App& app, int& exit_code);

}  // namespace skiff::net
