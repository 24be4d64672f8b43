#include "cli_commands.hpp"
namespace skiff::cli {
void register_network_commands(CLI::App&, ExitCode&) {}  // placeholder: filled by the work on issue 7
}
