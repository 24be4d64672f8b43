// sk-pause: a container process that does nothing until a signal tells it to exit.
//   sk-pause [--exit-on SIG [--code N]]...
// SIGTERM and SIGINT exit 0 unless an --exit-on names them with another code; each --exit-on adds a
// signal (name or number) that exits with the --code after it (0 without one). "ready\n" goes to stdout
// once the handlers are installed, so a test that waits for it knows a signal will be seen; on exit
// "got SIGNAME\n" tells the test which signal arrived. Other signals keep their default action (which, for
// pid 1 of a pid namespace, the kernel turns into "ignored").
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "signal_names.hpp"

namespace {

volatile sig_atomic_t g_received = 0;

void on_signal(int sig) {
  g_received = sig;
}

void write_all(const std::string& text) {
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = write(STDOUT_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // Nobody reading is the test's business, not a reason to die.
    p += n;
    left -= static_cast<size_t>(n);
  }
}

int usage(const char* why) {
  std::fprintf(stderr, "sk-pause: %s\nusage: sk-pause [--exit-on SIG [--code N]]...\n", why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<int, int> exit_codes = {{SIGTERM, 0}, {SIGINT, 0}};
  int last = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return usage(("missing value after " + arg).c_str());
    std::string value = argv[++i];
    if (arg == "--exit-on") {
      auto sig = skiff::fixture::parse_signal(value);
      if (!sig || *sig == SIGKILL || *sig == SIGSTOP)
        return usage(("cannot wait for signal " + value).c_str());
      last = *sig;
      exit_codes[last] = 0;
    } else if (arg == "--code") {
      int code = -1;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), code);
      if (ec != std::errc() || end != value.data() + value.size() || code < 0 || code > 255) {
        return usage(("exit code must be 0..255: " + value).c_str());
      }
      if (last == 0) return usage("--code must follow an --exit-on");
      exit_codes[last] = code;
    } else {
      return usage(("unknown argument " + arg).c_str());
    }
  }

  // Blocked until sigsuspend, so a signal between installing and waiting is not lost.
  sigset_t handled, wait_mask;
  sigemptyset(&handled);
  for (const auto& [sig, code] : exit_codes) sigaddset(&handled, sig);
  sigprocmask(SIG_BLOCK, &handled, &wait_mask);
  for (const auto& [sig, code] : exit_codes) {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, nullptr);
  }
  for (const auto& [sig, code] : exit_codes) sigdelset(&wait_mask, sig);
  if (!exit_codes.contains(SIGPIPE)) signal(SIGPIPE, SIG_IGN);

  write_all("ready\n");
  while (g_received == 0) sigsuspend(&wait_mask);

  int sig = g_received;
  write_all("got " + skiff::fixture::signal_name(sig) + "\n");
  return exit_codes[sig];
}
