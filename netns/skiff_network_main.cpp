// `skiff-network`: the network commands of `skiff network` in a binary that links netns/ only, and
// `skiff-network service ...` (the service proxy for scripts and the bench: service_cli.hpp).
// A caller that spawns a process per attach or detach (scripts, hooks, CNI-style callers, the bench)
// would otherwise pay for loading skiff's whole image stack (libcurl, libarchive, TLS and their ~40
// shared libraries), which costs more CPU than the attach itself.
#include <cstdio>

#include "log.hpp"
#include "network_cli.hpp"
#include "service_cli.hpp"

int main(int argc, char** argv) {
  skiff::log::set_program("skiff-network");
  CLI::App app{"skiff-network: skiff's bridge networks (the same commands as `skiff network`)",
               "skiff-network"};
  app.require_subcommand(1);
  int code = 0;
  skiff::net::register_network_cli(app, code);
  skiff::net::register_service_cli(app, code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "skiff-network: %s\n", e.what());
    return 1;
  }
  return code;
}
