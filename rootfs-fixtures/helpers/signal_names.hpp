// Signal names as tests write them ("TERM", "SIGTERM", "15"), shared by the fixture helpers.
#pragma once

#include <optional>
#include <string>

namespace skiff::fixture {

// The signal number for a name (case-insensitive, with or without "SIG") or a decimal number.
std::optional<int> parse_signal(const std::string& text);

// "SIGTERM" for 15; the number in decimal for a signal without a name.
std::string signal_name(int sig);

}  // namespace skiff::fixture
