// The sync channel between the runtime (parent) and the container's init (child): a SOCK_SEQPACKET
// socketpair, one fixed-size message per step, fds passed with SCM_RIGHTS. The child never throws: a
// failure is one ERROR message carrying errno and a one-line reason, then _exit.
#pragma once

#include <cstdint>

namespace skiff {

enum class SyncType : uint32_t {
  error = 1,       // child -> parent: err + text; the child exits next
  run_hooks = 2,   // child -> parent: run prestart/createRuntime hooks now (pid is known)
  hooks_done = 3,  // parent -> child
  ready = 4,       // child -> parent: set up, waiting for start
  start = 5,       // parent -> child (run without exec fifo)
  pty_master = 6,  // child -> parent: the pty master fd rides along
  ids_mapped = 7,  // parent -> child: uid/gid maps are written (user namespaces)
  cgroup_joined = 9,  // parent -> child: the init is in its cgroups (it may unshare its cgroupns)
  seccomp_fd = 8,  // child -> parent: the seccomp notify listener fd rides along (SCMP_ACT_NOTIFY)
};

struct SyncMsg {
  SyncType type;
  int32_t err;
  char text[1024];
};

// Sends one message (optionally with an fd). Returns 0 or -errno. Async-signal-safe.
int sync_send(int sock, SyncType type, int err = 0, const char* text = nullptr, int pass_fd = -1) noexcept;
// Receives one message. Returns 1 on a message, 0 on EOF (peer closed or exec'd), -errno on error.
// A passed fd, if any, is stored in *fd_out (O_CLOEXEC) when fd_out is given, else closed.
int sync_recv(int sock, SyncMsg* msg, int* fd_out = nullptr) noexcept;

// Child side: the socket that child_fail reports on.
void set_child_sync_fd(int fd) noexcept;
// Child side: formats "<fmt...>: <strerror(err)>" (err 0: no suffix), sends it as ERROR, _exit(1).
[[noreturn]] void child_fail(int err, const char* fmt, ...) noexcept __attribute__((format(printf, 2, 3)));

}  // namespace skiff
