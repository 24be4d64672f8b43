// create and run: the parent side of setting up a container.
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "cgroup_setup.hpp"
#include "console.hpp"
#include "container.hpp"
#include "container_init.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "hooks.hpp"
#include "log.hpp"
#include "owner.hpp"
#include "seccomp.hpp"
#include "sync.hpp"
#include "tty_proxy.hpp"

namespace skiff {
namespace {

// The container's init while the parent sets it up: killed and reaped unless released.
class InitProcess {
 public:
  pid_t pid = -1;
  UniqueFd pidfd;
  bool released = false;
  ~InitProcess() {
    if (pid <= 0 || released) return;
    ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
};

// cgroup_fd >= 0: the child is born in that (v2) cgroup, so not one of its steps runs unlimited.
pid_t clone_init(unsigned long ns_flags, UniqueFd* pidfd, int cgroup_fd) {
  int fd = -1;
  struct clone_args args = {};
  args.flags = ns_flags | CLONE_PIDFD;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
  }
  args.pidfd = reinterpret_cast<uint64_t>(&fd);
  args.exit_signal = SIGCHLD;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) throw Error(errno, "clone3 the container's init");
  if (pid > 0) pidfd->reset(fd);
  return static_cast<pid_t>(pid);
}

struct Created {
  ContainerState state;
  CgroupGuard cgroup;  // destroyed after `init` is killed and reaped
  InitProcess init;
  UniqueFd pty_master;
  UniqueFd sync;
};

void write_pid_file(const std::string& path, pid_t pid) {
  if (path.empty()) return;
  write_file_atomic(path, std::to_string(pid), 0644, Durability::kVolatile);
}

// Sets up the container up to "ready". On any failure everything is undone by the destructors and
// the state directory removal in the caller.
void create_container(const CreateOptions& o, const StateStore& store, const StateStore::Locked& lock,
                      PreparedContainer& c, bool wait_on_fifo, Created& out) {
  ContainerState& st = out.state;
  st.id = o.id;
  st.bundle = c.bundle;
  st.rootfs = c.rootfs;
  st.oci_version = c.spec.oci_version;
  st.annotations = c.spec.annotations;
  st.config_json = c.config_text;
  st.owner = owner_name(::geteuid());
  st.has_exec_fifo = wait_on_fifo;

  UniqueFd state_dir_fd;
  if (wait_on_fifo) {
    std::string fifo = lock.dir() + "/exec.fifo";
    if (::mkfifo(fifo.c_str(), 0622) < 0) throw Error(errno, "mkfifo " + fifo);
    state_dir_fd.reset(::open(lock.dir().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!state_dir_fd) throw Error(errno, "open " + lock.dir());
  }
  int sp[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) throw Error(errno, "socketpair");
  UniqueFd parent_end(sp[0]), child_end(sp[1]);

  // cgroups exist, limited, before the init does; it joins them before any step of its set-up.
  UniqueFd cgroup_fd = setup_container_cgroups(o.id, c, out.cgroup);
  st.cgroup_paths = out.cgroup.paths();
  parent_enter_child_namespaces(c.ns, c.spec);

  InitArgs args{&c, &o, child_end.get(), state_dir_fd.get(), wait_on_fifo, {lock.fd(), parent_end.get()}};
  UniqueFd pidfd;
  pid_t pid = clone_init(c.ns.clone_flags, &pidfd, cgroup_fd.get());
  if (pid == 0) container_init(args);
  out.init.pid = pid;
  out.init.pidfd = std::move(pidfd);
  child_end.reset();
  st.pid = pid;
  if (c.cgroup_sync) {
    out.cgroup.driver->add_process(pid, /*except_unified=*/bool(cgroup_fd));
    if (sync_send(parent_end.get(), SyncType::cgroup_joined) < 0) throw Error(errno, "sync with init");
  }

  if (c.ns.new_user) {
    write_id_maps(pid, c.spec);
    if (sync_send(parent_end.get(), SyncType::ids_mapped) < 0) throw Error(errno, "sync with init");
  }
  for (;;) {
    SyncMsg m;
    int fd = -1;
    int rc = sync_recv(parent_end.get(), &m, &fd);
    if (rc < 0) throw Error(-rc, "sync with init");
    if (rc == 0) throw Error("container init exited during set-up");
    if (m.type == SyncType::error) throw Error(m.text);
    if (m.type == SyncType::run_hooks) {
      std::string state = st.to_oci_json(Status::creating, -1);
      run_hooks(c.spec.hooks.prestart, "prestart", state);
      run_hooks(c.spec.hooks.create_runtime, "createRuntime", state);
      if (sync_send(parent_end.get(), SyncType::hooks_done, pid) < 0) throw Error(errno, "sync with init");
    } else if (m.type == SyncType::pty_master) {
      out.pty_master.reset(fd);
    } else if (m.type == SyncType::seccomp_fd) {
      UniqueFd notify(fd);
      seccomp::send_to_listener(c.seccomp, notify.get(), pid, c.spec.oci_version,
                                st.to_oci_json(Status::creating, -1));
    } else if (m.type == SyncType::ready) {
      break;
    } else {
      if (fd >= 0) ::close(fd);
      throw Error("sync: unexpected message from init");
    }
  }
  auto start = process_start_time(pid);
  if (!start) throw Error("container init exited during set-up");
  st.pid_start_time = *start;
  st.created = log::rfc3339_now();
  if (out.pty_master && !o.console_socket.empty())
    send_console_fd(o.console_socket, out.pty_master.get(), "console");
  store.save(lock, st);
  write_pid_file(o.pid_file, pid);
  out.sync = std::move(parent_end);
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

void Runtime::create(const CreateOptions& o) {
  validate_container_id(o.id);
  PreparedContainer c = prepare_container(o, /*foreground=*/false, store_.root());
  auto lock = store_.create(o.id);
  Created out;
  try {
    create_container(o, store_, lock, c, /*wait_on_fifo=*/true, out);
  } catch (...) {
    store_.remove(lock);
    if (!o.pid_file.empty()) ::unlink(o.pid_file.c_str());
    throw;
  }
  out.init.released = true;
  out.cgroup.released = true;
}

int Runtime::run(const CreateOptions& o, bool detach, bool keep) {
  validate_container_id(o.id);
  // A foreground run keeps the pty itself (proxied to our stdio); only create/detach need a socket.
  PreparedContainer c = prepare_container(o, /*foreground=*/!detach, store_.root());
  // Signals meant for the container are taken from a signalfd while we wait; the child unblocks them.
  sigset_t fwd, old;
  sigemptyset(&fwd);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD})
    sigaddset(&fwd, sig);
  if (!detach) ::sigprocmask(SIG_BLOCK, &fwd, &old);

  auto lock = store_.create(o.id);
  Created out;
  try {
    create_container(o, store_, lock, c, /*wait_on_fifo=*/false, out);
    if (sync_send(out.sync.get(), SyncType::start) < 0) throw Error(errno, "start container");
    // The init's sync end closes on exec (or carries an error from startContainer hooks / exec).
    SyncMsg m;
    int rc = sync_recv(out.sync.get(), &m);
    if (rc > 0 && m.type == SyncType::error) throw Error(m.text);
  } catch (...) {
    store_.remove(lock);
    if (!o.pid_file.empty()) ::unlink(o.pid_file.c_str());
    if (!detach) ::sigprocmask(SIG_SETMASK, &old, nullptr);
    throw;
  }
  std::string running = out.state.to_oci_json(Status::running, -1);
  for (const auto& h : c.spec.hooks.poststart) {
    try {
      run_hook(h, running);
    } catch (const std::exception& e) {
      log::warn(std::string("poststart hook: ") + e.what());
    }
  }
  if (detach) {
    out.init.released = true;
    out.cgroup.released = true;
    return 0;
  }
  // Foreground: forward signals, proxy the tty, wait for the exit. The lock is dropped while waiting,
  // as for a detached container: `state`, `kill`, `ps` and `delete --force` from other processes must
  // not block on a container that merely has a foreground runtime.
  lock = StateStore::Locked{};
  UniqueFd sfd(::signalfd(-1, &fwd, SFD_CLOEXEC));
  int status = wait_foreground(out.init.pid, out.init.pidfd.get(), sfd.get(),
                               o.console_socket.empty() ? out.pty_master.get() : -1);
  out.init.released = true;
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  std::string stopped = out.state.to_oci_json(Status::stopped, -1);
  if (!keep) {
    // Deleted meanwhile (delete --force, which also removed the cgroups and ran poststop), or the id
    // already names a newer container: that is not ours to remove.
    try {
      lock = store_.open(o.id);
      if (store_.load(lock).pid_start_time != out.state.pid_start_time) lock = StateStore::Locked{};
    } catch (const Error&) {
      lock = StateStore::Locked{};
    }
  }
  if (keep || !lock) {
    out.cgroup.released = true;
  } else {
    out.cgroup.destroy_now();
    for (const auto& h : c.spec.hooks.poststop) {
      try {
        run_hook(h, stopped);
      } catch (const std::exception& e) {
        log::warn(std::string("poststop hook: ") + e.what());
      }
    }
    store_.remove(lock);
  }
  return exit_code(status);
}

}  // namespace skiff
