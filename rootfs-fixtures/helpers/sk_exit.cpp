// sk-exit: ends the container process in a chosen way, for tests of exit-status reporting.
//   sk-exit N              exits with status N (0..255)
//   sk-exit --signal SIG   dies of signal SIG (name or number)
// As pid 1 of a pid namespace a process cannot kill itself with kill(2): the kernel drops signals whose
// action is the default. Only kernel-forced signals get through, so there SIGSEGV, SIGBUS, SIGFPE, SIGILL,
// SIGTRAP and SIGSYS are produced by a real fault and SIGKILL by exceeding the hard RLIMIT_CPU (about one
// second of CPU). Any other signal as pid 1 is an error (status 125) that says so.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>

#include "signal_names.hpp"

namespace {

constexpr int kCannot = 125;

int usage(const std::string& why) {
  std::fprintf(stderr, "sk-exit: %s\nusage: sk-exit N | sk-exit --signal SIG\n", why.c_str());
  return 2;
}

void fault_segv() {
  void* page = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page != MAP_FAILED) *static_cast<volatile char*>(page) = 1;
}

// Reading a shared mapping past the end of its (empty) file.
void fault_bus() {
  int fd = memfd_create("sk-exit", 0);
  if (fd < 0) return;
  void* page = mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0);
  if (page != MAP_FAILED) (void)*static_cast<volatile char*>(page);
}

void fault_fpe() {
#if defined(__x86_64__)
  asm volatile("xor %%ecx, %%ecx\n\tmov $1, %%eax\n\tcltd\n\tidiv %%ecx" ::: "eax", "ecx", "edx");
#endif
}

void fault_ill() {
#if defined(__x86_64__)
  asm volatile("ud2");
#endif
}

void fault_trap() {
#if defined(__x86_64__)
  asm volatile("int3");
#endif
}

// A one-rule seccomp filter that traps getppid, then the call.
void fault_sys() {
  sock_filter rules[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof rules / sizeof rules[0]), rules};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return;
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) return;
  syscall(SYS_getppid);
}

// The hard limit's SIGKILL is sent with the kernel's authority, which pid 1 cannot ignore.
void cpu_limit_kill() {
  rlimit limit{1, 1};
  if (setrlimit(RLIMIT_CPU, &limit) != 0) return;
  signal(SIGXCPU, SIG_IGN);
  volatile unsigned long spin = 0;
  for (;;) {
    unsigned long next = spin + 1;
    spin = next;
  }
}

[[noreturn]] void die_of(int sig) {
  // A fault's default action dumps core: not into the test's rootfs.
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  // Inherited dispositions and masks survive exec; make the default action happen.
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);

  if (getpid() != 1) {
    raise(sig);
  } else {
    switch (sig) {
      case SIGSEGV:
        fault_segv();
        break;
      case SIGBUS:
        fault_bus();
        break;
      case SIGFPE:
        fault_fpe();
        break;
      case SIGILL:
        fault_ill();
        break;
      case SIGTRAP:
        fault_trap();
        break;
      case SIGSYS:
        fault_sys();
        break;
      case SIGKILL:
        cpu_limit_kill();
        break;
      default:
        break;
    }
  }
  std::fprintf(stderr,
               "sk-exit: still alive after %s: as pid %d the kernel ignores it (pid 1 can only die of "
               "SIGKILL, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP or SIGSYS here)\n",
               skiff::fixture::signal_name(sig).c_str(), static_cast<int>(getpid()));
  _exit(kCannot);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--signal") == 0) {
    auto sig = skiff::fixture::parse_signal(argv[2]);
    if (!sig) return usage(std::string("unknown signal ") + argv[2]);
    die_of(*sig);
  }
  if (argc != 2) return usage("expected one exit status");
  std::string text = argv[1];
  int status = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), status);
  if (ec != std::errc() || end != text.data() + text.size() || status < 0 || status > 255) {
    return usage("exit status must be 0..255: " + text);
  }
  return status;
}
