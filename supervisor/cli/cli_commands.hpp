// Each command group of the `skiff` CLI lives in one file of supervisor/cli/ and registers itself with
// one line at namespace scope:
//
//   SKIFF_CLI_COMMANDS(register_image_commands);
//
// skiff_main.cpp calls every registered group (registry order: by name, so `--help` is stable whatever
// the link order). A new file in supervisor/cli/ is picked up by the build without editing CMake; a
// supervisor part whose library the command needs links it from the part's own CMakeLists.txt:
//   target_link_libraries(skiff PRIVATE <target>)
#pragma once

#include <CLI/CLI.hpp>

namespace skiff::cli {

// A registered subcommand sets this to the code `skiff` exits with.
struct ExitCode {
  int value = 0;
};

using RegisterCommands = void (*)(CLI::App& app, ExitCode& exit_code);

// Records a command group; `name` orders the groups. Returns true (for the static initializer).
bool add_command_group(const char* name, RegisterCommands register_commands);

// Registers every recorded group on `app`.
void register_command_groups(CLI::App& app, ExitCode& exit_code);

}  // namespace skiff::cli

#define SKIFF_CLI_COMMANDS(fn)                                        \
  [[maybe_unused]] static const bool skiff_cli_commands_registered_ = \
      ::skiff::cli::add_command_group(#fn, &(fn))
