#include "container_init.hpp"

#include <fcntl.h>
#include <limits.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "console.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "hooks.hpp"
#include "rootless.hpp"
#include "seccomp_cache.hpp"
#include "sync.hpp"

namespace skiff {

PreparedContainer prepare_container(const CreateOptions& o, bool foreground, const std::string& state_root) {
  PreparedContainer c;
  char real[PATH_MAX];
  if (!::realpath(o.bundle.c_str(), real)) throw Error(errno, "bundle " + o.bundle);
  c.bundle = real;
  try {
    c.config_text = read_file(c.bundle + "/config.json");
  } catch (const Error& e) {
    throw Error(e.err(), "open " + c.bundle + "/config.json");
  }
  c.spec = spec::parse_spec(c.config_text, "config.json");
  if (!c.spec.process) throw Error("config.json: process is required to create a container");
  if (c.spec.process->args.empty()) throw Error("config.json: process.args must not be empty");
  const std::string& rp = c.spec.root.path;
  std::string rootfs = rp.empty() ? "" : (rp[0] == '/' ? rp : c.bundle + "/" + rp);
  if (rootfs.empty() || !::realpath(rootfs.c_str(), real))
    throw Error(errno ? errno : ENOENT, "rootfs (\"" + rootfs + "\") does not exist");
  struct stat st;
  if (::stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
    throw Error("rootfs (\"" + rootfs + "\") is not a directory");
  c.rootfs = real;
  c.ns = plan_namespaces(c.spec);
  c.devices_by_bind = c.ns.new_user || running_in_user_namespace();
  if (!c.ns.has_mount)
    throw Error("a mount namespace is required (add {\"type\": \"mount\"} to linux.namespaces)");
  if (c.spec.process->terminal && o.console_socket.empty() && !foreground)
    throw Error("cannot allocate a tty without --console-socket when the runtime detaches");
  c.mounts = plan_mounts(c.spec, c.bundle);
  for (const auto& m : c.mounts) {
    if (m.destination == "/dev") c.dev_is_mount = true;
    if (m.type == "cgroup" && c.cgroups.sources.empty() && !c.cgroups.pure_v2)
      c.cgroups = read_cgroup_host_view();
  }
  c.proc = plan_process(*c.spec.process);
  c.caps = plan_caps(c.spec.process->capabilities);
  if (c.spec.linux && !c.spec.linux->seccomp.is_null())
    c.seccomp = seccomp::plan(c.spec.linux->seccomp,
                              state_root.empty() ? "" : seccomp::cache_dir_for_root(state_root));
  const auto& h = c.spec.hooks;
  c.any_child_hooks = !h.prestart.empty() || !h.create_runtime.empty() || !h.create_container.empty() ||
                      !h.start_container.empty();
  if (c.spec.linux) c.root_propagation = propagation_from_name(c.spec.linux->rootfs_propagation);
  return c;
}

namespace {

std::string hook_state(const InitArgs& a, pid_t host_pid, Status status) {
  ContainerState s;
  s.oci_version = a.c->spec.oci_version;
  s.id = a.opts->id;
  s.pid = host_pid;
  s.bundle = a.c->bundle;
  s.rootfs = a.c->rootfs;
  s.annotations = a.c->spec.annotations;
  return s.to_oci_json(status, -1);
}

// Hooks that run inside the container fork a child: an exception from them is turned into the
// one-line error here, the only place the child catches one.
void child_run_hooks(const std::vector<spec::Hook>& hooks, const char* phase, const std::string& state) {
  try {
    run_hooks(hooks, phase, state);
  } catch (const std::exception& e) {
    child_fail(0, "%s", e.what());
  }
}

void wait_for(int sync_fd, SyncType want, SyncMsg* m) {
  int rc = sync_recv(sync_fd, m);
  if (rc <= 0) _exit(1);  // the runtime went away: nothing to report to
  if (m->type != want) child_fail(0, "sync: unexpected message %u", static_cast<unsigned>(m->type));
}

}  // namespace

void container_init(const InitArgs& a) noexcept {
  const PreparedContainer& c = *a.c;
  const spec::Spec& s = c.spec;
  const spec::Process& p = *s.process;
  set_child_sync_fd(a.sync_fd);
  for (int fd : a.close_fds) close(fd);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // Die with the runtime while it still sets us up (cleared before we wait for start).
  prctl(PR_SET_PDEATHSIG, SIGKILL);

  SyncMsg m;
  if (c.cgroup_sync) wait_for(a.sync_fd, SyncType::cgroup_joined, &m);
  if (c.ns.new_user) {
    wait_for(a.sync_fd, SyncType::ids_mapped, &m);
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
      child_fail(errno, "become root in the user namespace");
  }
  // Not dumpable from here to exec: a process in the container cannot open our /proc/<pid>/exe (the
  // host's runtime binary) to overwrite it later (CVE-2019-5736). Set only now: as long as a rootless
  // parent still writes our id maps, our /proc files must stay its own.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  child_join_namespaces(c.ns);
  if (c.unshare_cgroupns && unshare(CLONE_NEWCGROUP) < 0) child_fail(errno, "create cgroup namespace");

  if (!a.opts->no_new_keyring) {
    std::string name = "_ses." + a.opts->id;
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name.c_str()) < 0 && errno != ENOSYS)
      child_fail(errno, "join session keyring");
  }
  if (!s.hostname.empty() && sethostname(s.hostname.data(), s.hostname.size()) < 0)
    child_fail(errno, "sethostname %s", s.hostname.c_str());
  if (!s.domainname.empty() && setdomainname(s.domainname.data(), s.domainname.size()) < 0)
    child_fail(errno, "setdomainname %s", s.domainname.c_str());
  if (p.oom_score_adj) child_set_oom_score_adj(*p.oom_score_adj);

  int root_fd = -1;
  if (!c.ns.joins_mount) {
    root_fd = child_prepare_rootfs(c.rootfs.c_str(), c.root_propagation);
    child_apply_mounts(root_fd, c.mounts, c.cgroups);
    child_create_devices(root_fd, s, c.dev_is_mount, c.devices_by_bind);
  }

  pid_t host_pid = 0;
  if (c.any_child_hooks) {
    sync_send(a.sync_fd, SyncType::run_hooks);
    wait_for(a.sync_fd, SyncType::hooks_done, &m);
    host_pid = m.err;
    if (!s.hooks.create_container.empty())
      child_run_hooks(s.hooks.create_container, "createContainer", hook_state(a, host_pid, Status::creating));
  }

  if (!c.ns.joins_mount) {
    close(root_fd);
    child_pivot_root(c.rootfs.c_str(), a.opts->no_pivot);
    if (c.root_propagation) child_root_propagation(c.root_propagation);
    child_write_sysctls(s);
    if (s.linux) {
      child_mask_paths(s.linux->masked_paths);
      child_readonly_paths(s.linux->readonly_paths);
    }
    if (s.root.readonly) child_readonly_root();
  } else {
    child_write_sysctls(s);
  }
  child_set_personality(s);
  child_set_rlimits(p);

  if (p.terminal) {
    try {
      Pty pty = open_pty("/dev/ptmx", p.console_size);
      if (sync_send(a.sync_fd, SyncType::pty_master, 0, pty.slave_path.c_str(), pty.master.get()) < 0)
        child_fail(errno, "send pty master");
      pty.master.reset();
      if (c.dev_is_mount) child_bind_console(pty.slave.get());
      int rc = make_controlling_terminal(pty.slave.get());
      if (rc < 0) child_fail(-rc, "make %s the controlling terminal", pty.slave_path.c_str());
    } catch (const std::exception& e) {
      child_fail(0, "terminal: %s", e.what());
    }
  }

  child_chdir(p);
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we still have it (runc
  // does the same); the profile must then allow the few calls that set the user and capabilities.
  if (c.seccomp.present && !p.no_new_privileges) seccomp::child_apply(c.seccomp, a.sync_fd);
  child_caps_before_user(c.caps);
  child_switch_user(p);
  child_caps_after_user(c.caps);
  // Once the user is switched, cwd is re-entered as that user: a root-only cwd must not silently
  // remain usable (runc checks the same).
  child_chdir(p);
  char exe[PATH_MAX];
  child_find_executable(c.proc, exe, sizeof exe);
  if (p.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    child_fail(errno, "set no_new_privs");
  child_close_fds(a.opts->preserve_fds);
  // As late as we can while the runtime still listens: a notify fd must reach it before `ready`.
  if (c.seccomp.present && p.no_new_privileges) seccomp::child_apply(c.seccomp, a.sync_fd);

  // Clear the death signal before saying ready: the runtime may exit the moment it reads that.
  prctl(PR_SET_PDEATHSIG, 0);
  sync_send(a.sync_fd, SyncType::ready);
  if (a.wait_on_fifo) {
    // Blocks until `start` opens the read side.
    int fifo = openat(a.state_dir_fd, "exec.fifo", O_WRONLY | O_CLOEXEC);
    if (fifo < 0) child_fail(errno, "open exec fifo");
    set_child_sync_fd(-1);  // the runtime that created us is gone: errors go to our stderr
    if (write(fifo, "0", 1) != 1) child_fail(errno, "write exec fifo");
    // Left open: O_CLOEXEC closes it at exec, and that EOF tells `start` the user process runs.
  } else {
    wait_for(a.sync_fd, SyncType::start, &m);
  }
  if (!s.hooks.start_container.empty())
    child_run_hooks(s.hooks.start_container, "startContainer", hook_state(a, host_pid, Status::created));
  execve(exe, c.proc.argv.data(), c.proc.envp.data());
  child_fail(errno, "exec %s", exe);
}

}  // namespace skiff
