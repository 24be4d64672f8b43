#include "cli_commands.hpp"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

namespace skiff::cli {
namespace {

using Groups = std::vector<std::pair<std::string_view, RegisterCommands>>;

// A function-local static: groups register from other files' static initializers, whose order
// relative to this file's is unspecified.
Groups& groups() {
  static Groups g;
  return g;
}

}  // namespace

bool add_command_group(const char* name, RegisterCommands register_commands) {
  groups().emplace_back(name, register_commands);
  return true;
}

void register_command_groups(CLI::App& app, ExitCode& exit_code) {
  Groups sorted = groups();
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [name, register_commands] : sorted) register_commands(app, exit_code);
}

}  // namespace skiff::cli
