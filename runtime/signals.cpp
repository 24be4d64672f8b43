// Signal names as runc's `kill` takes them ("KILL", "SIGKILL", "kill", "9"), plus the real-time forms
// kill(1) accepts (RTMIN, RTMIN+3, RTMAX-1) and the glibc aliases IOT, POLL and CLD.
#include "signals.hpp"

#include <signal.h>
#include <strings.h>

#include <string_view>

#include "error.hpp"

namespace skiff {
namespace {

struct Named {
  std::string_view name;  // without "SIG"
  int number;
};

constexpr Named kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},     {"IOT", SIGIOT},     {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL},     {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},     {"CLD", SIGCHLD},    {"CONT", SIGCONT},
    {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},
    {"URG", SIGURG},       {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF},     {"WINCH", SIGWINCH},   {"IO", SIGIO},       {"POLL", SIGPOLL},
    {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

constexpr int kMaxSignal = 64;  // _NSIG - 1 on Linux

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// A decimal number without sign or leading junk, or -1.
int small_number(std::string_view s) {
  if (s.empty() || s.size() > 3) return -1;
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

// "RTMIN", "RTMIN+n", "RTMAX", "RTMAX-n" (case-insensitive, "SIG" already stripped), or 0. RTMIN is the
// C library's, which is what programs in the container built against glibc see as SIGRTMIN.
int realtime(std::string_view s) {
  if (s.size() < 5) return 0;
  std::string_view head = s.substr(0, 5), tail = s.substr(5);
  const int lo = SIGRTMIN, hi = SIGRTMAX;
  if (iequal(head, "RTMIN")) {
    if (tail.empty()) return lo;
    if (tail[0] != '+') return 0;
    int n = small_number(tail.substr(1));
    return n >= 0 && lo + n <= hi ? lo + n : 0;
  }
  if (iequal(head, "RTMAX")) {
    if (tail.empty()) return hi;
    if (tail[0] != '-') return 0;
    int n = small_number(tail.substr(1));
    return n >= 0 && hi - n >= lo ? hi - n : 0;
  }
  return 0;
}

}  // namespace

int parse_signal(const std::string& text) {
  std::string_view s = text;
  if (int n = small_number(s); n >= 1 && n <= kMaxSignal) return n;
  if (s.size() > 3 && iequal(s.substr(0, 3), "SIG")) s.remove_prefix(3);
  for (const auto& e : kSignals)
    if (iequal(s, e.name)) return e.number;
  if (int rt = realtime(s)) return rt;
  throw Error("unknown signal \"" + text + "\"");
}

}  // namespace skiff
