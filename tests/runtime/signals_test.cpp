// Signal names and numbers as `kill` takes them, checked against the C library's own names.
#include "signals.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <string.h>

#include <cctype>

#include "error.hpp"

using skiff::Error;
using skiff::parse_signal;

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string error_of(const std::string& text) {
  try {
    parse_signal(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Signals, EveryStandardNameWithAndWithoutSig) {
  // glibc's abbreviations are the reference; every classic signal must be reachable in all spellings.
  int named = 0;
  for (int sig = 1; sig < SIGRTMIN; ++sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    if (!abbrev) continue;  // 32 and 33 are glibc's own and have no name
    ++named;
    std::string name = abbrev;
    EXPECT_EQ(parse_signal(name), sig) << name;
    EXPECT_EQ(parse_signal("SIG" + name), sig) << name;
    EXPECT_EQ(parse_signal(lower(name)), sig) << name;
    EXPECT_EQ(parse_signal("sig" + lower(name)), sig) << name;
    EXPECT_EQ(parse_signal("Sig" + name), sig) << name;
  }
  EXPECT_GE(named, 31);
}

TEST(Signals, Numbers) {
  for (int sig = 1; sig <= 64; ++sig) EXPECT_EQ(parse_signal(std::to_string(sig)), sig);
  for (const char* bad : {"0", "65", "-1", "+9", " 9", "9 ", "1000", "9x", "0x9"})
    EXPECT_EQ(error_of(bad), std::string("unknown signal \"") + bad + "\"") << bad;
}

TEST(Signals, Aliases) {
  EXPECT_EQ(parse_signal("IOT"), SIGABRT);
  EXPECT_EQ(parse_signal("SIGCLD"), SIGCHLD);
  EXPECT_EQ(parse_signal("poll"), SIGIO);
}

TEST(Signals, RealTime) {
  EXPECT_EQ(parse_signal("RTMIN"), SIGRTMIN);
  EXPECT_EQ(parse_signal("SIGRTMIN"), SIGRTMIN);
  EXPECT_EQ(parse_signal("rtmin+1"), SIGRTMIN + 1);
  EXPECT_EQ(parse_signal("SIGRTMIN+5"), SIGRTMIN + 5);
  EXPECT_EQ(parse_signal("RTMAX"), SIGRTMAX);
  EXPECT_EQ(parse_signal("SIGRTMAX-2"), SIGRTMAX - 2);
  EXPECT_EQ(parse_signal("RTMIN+" + std::to_string(SIGRTMAX - SIGRTMIN)), SIGRTMAX);
  EXPECT_EQ(parse_signal("RTMAX-" + std::to_string(SIGRTMAX - SIGRTMIN)), SIGRTMIN);
  for (std::string bad : {"RTMIN+" + std::to_string(SIGRTMAX - SIGRTMIN + 1),
                          "RTMAX-" + std::to_string(SIGRTMAX - SIGRTMIN + 1), std::string("RTMIN-1"),
                          std::string("RTMAX+1"), std::string("RTMIN+"), std::string("RTMINX")})
    EXPECT_EQ(error_of(bad), "unknown signal \"" + bad + "\"") << bad;
}

TEST(Signals, UnknownNamesAreErrors) {
  for (const char* bad : {"", "SIG", "SIGBOGUS", "BOGUS", "KIL", "KILLL", "SIG KILL", "SIGSIGKILL", "TERM "})
    EXPECT_EQ(error_of(bad), std::string("unknown signal \"") + bad + "\"") << bad;
}
