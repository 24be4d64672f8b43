// `skiff`: the CLI for people and scripts on an edge device. Each group of subcommands lives in its
// own file of supervisor/cli/ and registers itself (cli/cli_commands.hpp).
#include <cstdio>

#include "cli/cli_commands.hpp"
#include "error.hpp"
#include "log.hpp"

int main(int argc, char** argv) {
  skiff::log::set_program("skiff");
  CLI::App app{"skiff: containers and replica sets on one host", "skiff"};
  app.require_subcommand(1);
  skiff::cli::ExitCode code;
  skiff::cli::register_command_groups(app, code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "skiff: %s\n", e.what());
    return 1;
  }
  return code.value;
}
