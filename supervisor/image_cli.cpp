#include "cli_commands.hpp"
namespace skiff::cli {
void register_image_commands(CLI::App&, ExitCode&) {}  // placeholder: filled by the work on issue 5
}
