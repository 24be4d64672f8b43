// OCI hooks. A hook is spawned with posix_spawn (glibc's is clone(CLONE_VM|CLONE_VFORK) + exec, and it
// reports exec errors as its return value), gets the state JSON on a pipe as stdin, and is waited for
// through a pidfd so that its timeout, the stdin write and its exit are all one poll loop. Its stdout and
// stderr are the runtime's stderr, as with runc.
#include "hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "error.hpp"
#include "unique_fd.hpp"

namespace skiff {
namespace {

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

int64_t now_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// An fd at 3 or above: the child's dup2 onto 0 and 1 must not clobber its own sources when the runtime
// runs with some of its standard fds closed.
UniqueFd above_stdio(UniqueFd fd) {
  if (fd.get() > 2) return fd;
  int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) throw_errno("fcntl F_DUPFD_CLOEXEC");
  return UniqueFd(moved);
}

// RAII for the spawn attribute objects.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// Writes to a pipe whose reader may have exited: with SIGPIPE blocked for this thread the write fails
// with EPIPE instead of killing the runtime. A SIGPIPE raised meanwhile is consumed before the old mask
// comes back, unless one was already pending before we started.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_);
  }
  ~SigpipeBlock() {
    if (!was_pending_) {
      sigset_t pipe_set;
      sigemptyset(&pipe_set);
      sigaddset(&pipe_set, SIGPIPE);
      struct timespec zero = {0, 0};
      while (sigtimedwait(&pipe_set, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t old_;
  bool was_pending_ = false;
};

std::string describe_status(const siginfo_t& info) {
  if (info.si_code == CLD_EXITED) return "exit status " + std::to_string(info.si_status);
  return "killed by signal " + std::to_string(info.si_status);
}

}  // namespace

void run_hook(const spec::Hook& hook, const std::string& state_json) {
  const std::string who = "hook " + hook.path;

  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) throw Error(errno, who + ": pipe");
  UniqueFd stdin_r = above_stdio(UniqueFd(p[0]));
  UniqueFd stdin_w = above_stdio(UniqueFd(p[1]));

  // argv: args exactly as given (args[0] included), or just the path when there are none, as execv's
  // caller would pass it. envp: exactly the hook's env.
  std::vector<char*> argv;
  std::string path_arg = hook.path;
  if (hook.args.empty()) {
    argv.push_back(path_arg.data());
  } else {
    argv.reserve(hook.args.size() + 1);
    for (const auto& a : hook.args) argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(hook.env.size() + 1);
  for (const auto& e : hook.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  SpawnSetup s;
  posix_spawn_file_actions_adddup2(&s.actions, stdin_r.get(), 0);
  if (::fcntl(2, F_GETFD) >= 0) {
    posix_spawn_file_actions_adddup2(&s.actions, 2, 1);
  } else {
    posix_spawn_file_actions_addopen(&s.actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&s.actions, 2, "/dev/null", O_WRONLY, 0);
  }
  // Only 0, 1 and 2 reach the hook: a sync socket or lock the caller forgot to mark CLOEXEC must not.
  posix_spawn_file_actions_addclosefrom_np(&s.actions, 3);
  // The caller may block signals or ignore some (a supervisor's signalfd, an ignored SIGPIPE): the hook
  // starts with an empty mask and default dispositions, as a freshly exec'd program expects.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&s.attr, &none);
  posix_spawnattr_setsigdefault(&s.attr, &all);
  posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, hook.path.c_str(), &s.actions, &s.attr, argv.data(), envp.data());
  if (rc != 0) throw Error(rc, who + ": exec");
  stdin_r.reset();

  // The child is ours and unreaped, so its pid cannot be reused before pidfd_open.
  UniqueFd pidfd(pidfd_open(pid));
  if (!pidfd) {
    int err = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw Error(err, who + ": pidfd_open");
  }

  const int64_t deadline = hook.timeout ? now_ms() + int64_t{*hook.timeout} * 1000 : -1;
  if (::fcntl(stdin_w.get(), F_SETFL, O_NONBLOCK) < 0) throw Error(errno, who + ": fcntl");
  size_t written = 0;
  if (state_json.empty()) stdin_w.reset();
  bool timed_out = false;
  {
    SigpipeBlock no_sigpipe;
    for (;;) {
      struct pollfd fds[2] = {{pidfd.get(), POLLIN, 0}, {stdin_w.get(), POLLOUT, 0}};
      int timeout = -1;
      if (deadline >= 0) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
          timed_out = true;
          break;
        }
        timeout = left > 1000000 ? 1000000 : static_cast<int>(left);
      }
      int n = ::poll(fds, stdin_w ? 2 : 1, timeout);
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        pidfd_send_signal(pidfd.get(), SIGKILL);
        siginfo_t ignored;
        ::waitid(P_PIDFD, static_cast<id_t>(pidfd.get()), &ignored, WEXITED);
        throw Error(err, who + ": poll");
      }
      if (fds[0].revents & POLLIN) break;  // exited
      if (stdin_w && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
        ssize_t w = ::write(stdin_w.get(), state_json.data() + written, state_json.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        // EPIPE: the hook does not read its stdin, which is its right; EAGAIN: poll again.
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == state_json.size()) stdin_w.reset();
      }
    }
    stdin_w.reset();
  }

  if (timed_out) pidfd_send_signal(pidfd.get(), SIGKILL);
  siginfo_t info = {};
  while (::waitid(P_PIDFD, static_cast<id_t>(pidfd.get()), &info, WEXITED) < 0) {
    if (errno != EINTR) throw Error(errno, who + ": wait");
  }
  if (timed_out) throw Error(who + ": timed out after " + std::to_string(*hook.timeout) + "s");
  if (info.si_code == CLD_EXITED && info.si_status == 0) return;
  throw Error(who + ": " + describe_status(info));
}

void run_hooks(const std::vector<spec::Hook>& hooks, const char* phase, const std::string& state_json) {
  for (const auto& h : hooks) {
    try {
      run_hook(h, state_json);
    } catch (const Error& e) {
      // e.what() already carries any errno text; Error(err, ...) would append it a second time.
      throw Error(std::string(phase) + " " + e.what());
    }
  }
}

}  // namespace skiff
