// sk-syscall: tries one privileged operation from inside a container and prints what the kernel said,
// so isolation tests can show that the container's wall holds.
//   sk-syscall mount | unshare-user | keyctl | ptrace PID | module | raw-socket | sysrq | clock
// Prints "<what>: ok" (exit 0) or "<what>: <strerror> (errno N)" (exit 1).
#include <fcntl.h>
#include <linux/keyctl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

long attempt(const std::string& what, const char* arg) {
  if (what == "mount") return mount("none", "/mnt", "tmpfs", 0, nullptr);
  if (what == "unshare-user") return unshare(CLONE_NEWUSER);
  if (what == "keyctl") return syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "sk-syscall");
  if (what == "ptrace") return ptrace(PTRACE_ATTACH, arg ? atoi(arg) : 1, nullptr, nullptr);
  if (what == "module") {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    return syscall(SYS_finit_module, fd, "", 0);
  }
  if (what == "raw-socket") return socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (what == "sysrq") return open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
  if (what == "clock") {
    // Sets the clock to what it already is: harmless if it ever succeeded.
    timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return clock_settime(CLOCK_REALTIME, &now);
  }
  fprintf(stderr, "sk-syscall: unknown operation %s\n", what.c_str());
  exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: sk-syscall OPERATION [ARG]\n");
    return 2;
  }
  errno = 0;
  long rc = attempt(argv[1], argc > 2 ? argv[2] : nullptr);
  if (rc >= 0) {
    printf("%s: ok\n", argv[1]);
    return 0;
  }
  int e = errno;
  printf("%s: %s (errno %d)\n", argv[1], strerror(e), e);
  return 1;
}
