// The foreground wait of `run` and `exec`: forwards signals to the process, copies between our stdio
// and the pty master when there is one, and returns the wait status once the process exits.
#pragma once

#include <sys/types.h>

namespace skiff {

// `signal_fd`: a signalfd for the forwarded signals (SIGCHLD included). `pty_master`: -1 for none.
int wait_foreground(pid_t pid, int pidfd, int signal_fd, int pty_master);

}  // namespace skiff
