// exec: a new process inside every namespace of a running container.
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "caps.hpp"
#include "cgroup.hpp"
#include "console.hpp"
#include "container.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "namespaces.hpp"
#include "process_setup.hpp"
#include "seccomp_cache.hpp"
#include "sync.hpp"
#include "tty_proxy.hpp"

namespace skiff {
namespace {

// A process JSON file (`exec --process`) goes through the same parser and checks as config.json.
spec::Process parse_process_file(const std::string& path) {
  std::string text = read_file(path);
  std::string wrapped = R"({"ociVersion":"1.0.0","root":{"path":"rootfs"},"process":)" + text + "}";
  try {
    return *spec::parse_spec(wrapped, path).process;
  } catch (const Error& e) {
    throw Error(std::string("process file ") + e.what());
  }
}

void apply_user(spec::User& u, const std::string& text) {
  auto colon = text.find(':');
  try {
    u.uid = static_cast<uint32_t>(std::stoul(text.substr(0, colon)));
    if (colon != std::string::npos) u.gid = static_cast<uint32_t>(std::stoul(text.substr(colon + 1)));
  } catch (...) {
    throw Error("--user \"" + text + "\": expected UID[:GID]");
  }
}

struct Join {
  const char* name;
  int flag;
};
// user first (it decides what the others may do), mnt last (it changes our root and cwd).
constexpr Join kJoinOrder[] = {{"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC},       {"uts", CLONE_NEWUTS},
                               {"net", CLONE_NEWNET},   {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS}};

// Joining a container's pid (or time) namespace changes the namespace this thread's children are born
// in, not its own; the runtime library undoes that once its child exists, so that a long-running
// caller's later children (other containers among them) are not born inside this container's.
class ChildNamespaceRestore {
 public:
  ChildNamespaceRestore(const char* name, int flag) : flag_(flag) {
    std::string p = std::string("/proc/thread-self/ns/") + name + "_for_children";
    saved_.reset(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  }
  ~ChildNamespaceRestore() { restore(); }
  void joined() { joined_ = true; }
  void restore() {
    if (joined_ && saved_) ::setns(saved_.get(), flag_);
    joined_ = false;
  }

 private:
  int flag_;
  UniqueFd saved_;
  bool joined_ = false;
};

// In the child: the caller's chosen stdio onto 0, 1, 2.
void child_set_stdio(const int (&stdio)[3]) noexcept {
  for (int i = 0; i < 3; ++i) {
    if (stdio[i] < 0) continue;
    if (stdio[i] == i) {
      ::fcntl(i, F_SETFD, 0);
    } else if (::dup2(stdio[i], i) < 0) {
      child_fail(errno, "set up stdio");
    }
  }
}

}  // namespace

int Runtime::exec(const ExecOptions& o) {
  return exec_impl(o, nullptr);
}

ExecProcess Runtime::exec_process(ExecOptions o) {
  o.detach = true;
  ExecProcess p;
  exec_impl(o, &p);
  return p;
}

int Runtime::exec_impl(const ExecOptions& o, ExecProcess* started) {
  validate_container_id(o.id);
  auto lock = store_.open(o.id);
  ContainerState st = store_.load(lock);
  Status status = derive_status(st, lock.dir());
  if (status == Status::stopped) throw Error("cannot exec in a stopped container");
  if (status == Status::paused) throw Error("cannot exec in a paused container");

  spec::Process proc;
  if (!o.process_file.empty()) {
    proc = parse_process_file(o.process_file);
  } else {
    if (o.args.empty()) throw Error("exec needs a command (or --process)");
    spec::Spec base = spec::parse_spec(st.config_json);
    proc = *base.process;
    proc.args = o.args;
    proc.terminal = o.tty;
    proc.console_size.reset();
    for (const auto& e : o.env) {
      if (e.find('=') == std::string::npos) throw Error("--env \"" + e + "\": expected NAME=VALUE");
      proc.env.push_back(e);
    }
    if (!o.cwd.empty()) proc.cwd = o.cwd;
    if (!o.user.empty()) {
      proc.user.additional_gids.clear();
      apply_user(proc.user, o.user);
    }
    if (o.no_new_privs) proc.no_new_privileges = true;
  }
  if (!o.caps.empty()) {
    // runc's --cap: added to the bounding, effective and permitted sets of this process.
    if (!proc.capabilities) proc.capabilities.emplace();
    for (const auto& c : o.caps) {
      proc.capabilities->bounding.push_back(c);
      proc.capabilities->effective.push_back(c);
      proc.capabilities->permitted.push_back(c);
    }
  }
  CapsPlan caps = plan_caps(proc.capabilities);
  // The container's seccomp filter applies to every process in it, as with runc.
  seccomp::Plan filter;
  spec::Spec container_spec = spec::parse_spec(st.config_json);
  if (container_spec.linux && !container_spec.linux->seccomp.is_null())
    filter = seccomp::plan(container_spec.linux->seccomp, seccomp::cache_dir_for_root(store_.root()));
  if (proc.terminal && o.detach && o.console_socket.empty())
    throw Error("cannot allocate a tty without --console-socket when detached");
  ProcessPlan plan = plan_process(proc);

  // Namespace handles of the init, opened before anything changes.
  std::vector<std::pair<UniqueFd, int>> joins;
  for (const auto& j : kJoinOrder) {
    if (!namespace_differs(st.pid, j.name)) continue;
    std::string p = "/proc/" + std::to_string(st.pid) + "/ns/" + j.name;
    UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw Error(errno, "open " + p);
    joins.emplace_back(std::move(fd), j.flag);
  }
  ChildNamespaceRestore pid_restore("pid", CLONE_NEWPID), time_restore("time", CLONE_NEWTIME);
  for (const auto& [name, flag] : {std::pair{"pid", CLONE_NEWPID}, std::pair{"time", CLONE_NEWTIME}}) {
    if (!namespace_differs(st.pid, name)) continue;
    std::string p = "/proc/" + std::to_string(st.pid) + "/ns/" + name;
    UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || ::setns(fd.get(), flag) < 0) throw Error(errno, std::string("join ") + name + " namespace");
    (flag == CLONE_NEWPID ? pid_restore : time_restore).joined();
  }

  sigset_t fwd, old;
  sigemptyset(&fwd);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD})
    sigaddset(&fwd, sig);
  if (!o.detach) ::sigprocmask(SIG_BLOCK, &fwd, &old);

  int sp[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) throw Error(errno, "socketpair");
  UniqueFd parent_end(sp[0]), child_end(sp[1]);
  int pidfd_raw = -1;
  struct clone_args args = {};
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd_raw);
  args.exit_signal = SIGCHLD;
  // The process joins the container's cgroups: born in the v2 one, moved into the v1 ones below.
  auto cgroup = open_cgroup_driver(st.cgroup_paths);
  UniqueFd cgroup_fd;
  if (cgroup && !cgroup->unified_path().empty()) {
    cgroup_fd.reset(::open(cgroup->unified_path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!cgroup_fd) throw Error(errno, "open cgroup " + cgroup->unified_path());
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_fd.get());
  }
  // Born into the v2 cgroup, the process still has to be moved into the v1 ones (hybrid, v1 hosts).
  const bool cgroup_sync = cgroup && (!cgroup_fd || cgroup->paths().size() > 1);
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) throw Error(errno, "clone3");
  if (pid == 0) {
    set_child_sync_fd(child_end.get());
    ::close(lock.fd());
    if (o.new_process_group) ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // Not dumpable until exec: the container cannot reach the runtime binary through /proc/<pid>/exe.
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (cgroup_sync) {
      // Nothing of the user's runs before the runtime has moved this process into every hierarchy:
      // a program that reads /proc/self/cgroup (or forks) at once must already see the container's.
      SyncMsg m;
      int rc = sync_recv(child_end.get(), &m);
      if (rc <= 0) _exit(1);  // the runtime went away: nothing to report to
      if (m.type != SyncType::cgroup_joined) child_fail(0, "sync: unexpected message %u", unsigned(m.type));
    }
    for (const auto& [fd, flag] : joins)
      if (::setns(fd.get(), flag) < 0) child_fail(errno, "join namespace");
    child_set_rlimits(proc);
    if (proc.terminal) {
      try {
        Pty pty = open_pty("/dev/ptmx", proc.console_size);
        if (sync_send(child_end.get(), SyncType::pty_master, 0, pty.slave_path.c_str(), pty.master.get()) < 0)
          child_fail(errno, "send pty master");
        pty.master.reset();
        int rc = make_controlling_terminal(pty.slave.get());
        if (rc < 0) child_fail(-rc, "make %s the controlling terminal", pty.slave_path.c_str());
      } catch (const std::exception& e) {
        child_fail(0, "terminal: %s", e.what());
      }
    }
    child_chdir(proc);
    if (filter.present && !proc.no_new_privileges) seccomp::child_apply(filter, child_end.get());
    child_caps_before_user(caps);
    child_switch_user(proc);
    child_caps_after_user(caps);
    child_chdir(proc);
    char exe[PATH_MAX];
    child_find_executable(plan, exe, sizeof exe);
    if (proc.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
      child_fail(errno, "no_new_privs");
    child_set_stdio(o.stdio);
    child_close_fds(o.preserve_fds);
    if (filter.present && proc.no_new_privileges) seccomp::child_apply(filter, child_end.get());
    ::prctl(PR_SET_PDEATHSIG, 0);
    ::execve(exe, plan.argv.data(), plan.envp.data());
    child_fail(errno, "exec %s", exe);
  }
  UniqueFd pidfd(pidfd_raw);
  pid_restore.restore();
  time_restore.restore();
  if (cgroup) {
    try {
      cgroup->add_process(static_cast<pid_t>(pid), /*except_unified=*/bool(cgroup_fd));
      if (cgroup_sync && sync_send(parent_end.get(), SyncType::cgroup_joined) < 0)
        throw Error(errno, "sync with exec process");
    } catch (...) {
      ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
      ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
      throw;
    }
  }
  child_end.reset();
  UniqueFd master;
  for (;;) {
    SyncMsg m;
    int fd = -1;
    int rc = sync_recv(parent_end.get(), &m, &fd);
    if (rc == 0) break;  // exec'd: the CLOEXEC socket closed
    if (rc < 0 || m.type == SyncType::error) {
      ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
      if (!o.detach) ::sigprocmask(SIG_SETMASK, &old, nullptr);
      throw Error(rc < 0 ? std::string("sync: ") + strerror(-rc) : std::string(m.text));
    }
    if (m.type == SyncType::pty_master) master.reset(fd);
    if (m.type == SyncType::seccomp_fd) {
      UniqueFd notify(fd);
      try {
        seccomp::send_to_listener(filter, notify.get(), static_cast<pid_t>(pid), st.oci_version,
                                  st.to_oci_json(Status::running, -1));
      } catch (...) {
        ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
        ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
        if (!o.detach) ::sigprocmask(SIG_SETMASK, &old, nullptr);
        throw;
      }
    }
  }
  if (master && !o.console_socket.empty()) send_console_fd(o.console_socket, master.get(), "console");
  if (!o.pid_file.empty()) write_file_atomic(o.pid_file, std::to_string(pid), 0644, Durability::kVolatile);
  if (started) {
    started->pid = static_cast<pid_t>(pid);
    started->pidfd = std::move(pidfd);
  }
  if (o.detach) return 0;
  // Others may act on the container while we wait.
  StateStore::Locked released = std::move(lock);
  { StateStore::Locked drop = std::move(released); }
  UniqueFd sfd(::signalfd(-1, &fwd, SFD_CLOEXEC));
  int wstatus = wait_foreground(static_cast<pid_t>(pid), pidfd.get(), sfd.get(),
                                o.console_socket.empty() ? master.get() : -1);
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return 255;
}

}  // namespace skiff
