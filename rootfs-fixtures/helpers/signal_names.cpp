#include "signal_names.hpp"

#include <signal.h>
#include <string.h>

#include <cctype>
#include <charconv>

namespace skiff::fixture {

std::optional<int> parse_signal(const std::string& text) {
  int number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && end == text.data() + text.size()) {
    if (number > 0 && number <= SIGRTMAX) return number;
    return std::nullopt;
  }
  std::string upper;
  for (char c : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.starts_with("SIG")) upper.erase(0, 3);
  for (int sig = 1; sig <= SIGRTMAX; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev && upper == abbrev) return sig;
  }
  return std::nullopt;
}

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : std::to_string(sig);
}

}  // namespace skiff::fixture
