// Each command group of the `skiff` CLI registers its subcommands here. One file per group:
// network_cli.cpp (netns/), image_cli.cpp (image/, run, rm), container_cli.cpp (ps, stop, logs),
// supervise_cli.cpp (later).
#pragma once

#include <CLI/CLI.hpp>

namespace skiff::cli {

// A registered subcommand sets this to the code `skiff` exits with.
struct ExitCode {
  int value = 0;
};

void register_network_commands(CLI::App& app, ExitCode& exit_code);
void register_image_commands(CLI::App& app, ExitCode& exit_code);
void register_container_commands(CLI::App& app, ExitCode& exit_code);

}  // namespace skiff::cli
