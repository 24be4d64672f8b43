// Signal names as runc accepts them: "KILL", "SIGKILL", "9", case-insensitive names.
#pragma once

#include <string>

namespace skiff {

// Returns the signal number or throws Error("unknown signal \"X\"").
int parse_signal(const std::string& text);

}  // namespace skiff
