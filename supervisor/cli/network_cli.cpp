// `skiff network …`: the commands live with netns/ (network_cli.hpp), shared with `skiff-network`.
#include "network_cli.hpp"
#include "cli_commands.hpp"

namespace skiff::cli {

void register_network_commands(CLI::App& app, ExitCode& code) {
  net::register_network_cli(app, code.value);
}

SKIFF_CLI_COMMANDS(register_network_commands);

}  // namespace skiff::cli
