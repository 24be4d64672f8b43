// Argument normalization for the runc command line as go-runc and people send it:
// Go-style single-dash long flags ("-pid-file x") become "--pid-file x", and `exec ID CMD...` gets a
// "--" after the ID so the command's own flags are never taken for ours.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace skiff {

struct FlagTable {
  std::set<std::string> with_value;  // long flag names (no dashes) that take a value
  std::set<std::string> boolean;     // long flag names that do not
};

std::vector<std::string> normalize_runtime_args(const std::vector<std::string>& in, const FlagTable& global,
                                                const FlagTable& command_flags_union);

}  // namespace skiff
