// start, state, kill, delete, ps and list: commands on an existing container.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "cgroup.hpp"
#include "container.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "hooks.hpp"
#include "log.hpp"
#include "spec.hpp"

namespace skiff {
namespace {

UniqueFd open_pidfd(pid_t pid) {
  return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
}

// Waits until the process behind pidfd exits, at most timeout_ms. Returns true if it did.
bool wait_exit(int pidfd, int timeout_ms) {
  struct pollfd p = {pidfd, POLLIN, 0};
  for (;;) {
    int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

void run_hooks_warn(const std::vector<spec::Hook>& hooks, const char* phase, const std::string& state) {
  for (const auto& h : hooks) {
    try {
      run_hook(h, state);
    } catch (const std::exception& e) {
      log::warn(std::string(phase) + " hook: " + e.what());
    }
  }
}

spec::Hooks hooks_of(const ContainerState& st) {
  if (st.config_json.empty()) return {};
  try {
    return spec::parse_spec(st.config_json).hooks;
  } catch (const std::exception& e) {
    log::warn(std::string("stored config of ") + st.id + ": " + e.what());
    return {};
  }
}

ino_t ns_inode(pid_t pid, const char* name) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/%s", pid, name);
  struct stat st;
  return ::stat(path, &st) == 0 ? st.st_ino : 0;
}

// Host pids of the container: every process in its pid namespace when it has its own, else the init
// and its descendants. (cgroup.procs replaces this once containers have cgroups.)
std::vector<pid_t> container_pids(pid_t init) {
  std::vector<pid_t> out;
  ino_t ns = ns_inode(init, "pid");
  bool own_ns = ns != 0 && ns != ns_inode(::getpid(), "pid");
  std::vector<std::pair<pid_t, pid_t>> parent_of;
  DIR* d = ::opendir("/proc");
  if (!d) throw Error(errno, "open /proc");
  while (auto* e = ::readdir(d)) {
    char* end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end || pid <= 0) continue;
    if (own_ns) {
      if (ns_inode(static_cast<pid_t>(pid), "pid") == ns) out.push_back(static_cast<pid_t>(pid));
      continue;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    std::string stat;
    try {
      stat = read_file(path);
    } catch (...) {
      continue;
    }
    auto rp = stat.rfind(')');
    if (rp == std::string::npos) continue;
    pid_t ppid = static_cast<pid_t>(strtol(stat.c_str() + rp + 4, nullptr, 10));
    parent_of.emplace_back(static_cast<pid_t>(pid), ppid);
  }
  ::closedir(d);
  if (!own_ns) {
    out.push_back(init);
    for (size_t i = 0; i < out.size(); ++i)
      for (auto& [pid, ppid] : parent_of)
        if (ppid == out[i]) out.push_back(pid);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

void Runtime::start(const std::string& id) {
  validate_container_id(id);
  auto lock = store_.open(id);
  ContainerState st = store_.load(lock);
  Status s = derive_status(st, lock.dir());
  if (s == Status::stopped) throw Error("cannot start a container that has stopped");
  if (s != Status::created) throw Error("cannot start an already running container");
  // The pidfd first: opening the fifo releases the init, and a short-lived process may exec, exit
  // and be reaped by its subreaper (conmon, the shim) before a pidfd opened after it could be.
  UniqueFd pidfd = open_pidfd(st.pid);
  if (!pidfd) throw Error(errno, "container init is gone");
  std::string fifo_path = lock.dir() + "/exec.fifo";
  UniqueFd fifo(::open(fifo_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) throw Error(errno, "open " + fifo_path);
  // The init writes one byte, runs the startContainer hooks, then execs: its write end is O_CLOEXEC,
  // so EOF on the fifo means the user process has been exec'd (or the init died). Only then may the
  // poststart hooks run (runtime-spec: after the user process starts, before `start` returns).
  struct pollfd p[2] = {{fifo.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
  bool released = false;
  for (;;) {
    int n = ::poll(p, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(errno, "wait for container init");
    if (p[0].revents & (POLLIN | POLLHUP)) {
      char c;
      ssize_t k = ::read(fifo.get(), &c, 1);
      if (k == 1) {
        released = true;
        continue;
      }
      if (k == 0 && released) break;
      if (k < 0 && errno != EAGAIN && errno != EINTR) throw Error(errno, "read " + fifo_path);
    }
    if (p[1].revents & POLLIN) {
      if (released) break;  // exec'd and already gone, or the exec failed (its error is on stderr)
      throw Error("container init exited before it was started");
    }
  }
  ::unlink(fifo_path.c_str());
  run_hooks_warn(hooks_of(st).poststart, "poststart", st.to_oci_json(Status::running, -1));
}

std::string Runtime::state_json(const std::string& id) {
  validate_container_id(id);
  auto lock = store_.open(id);
  ContainerState st = store_.load(lock);
  return st.to_oci_json(derive_status(st, lock.dir()));
}

void Runtime::kill(const std::string& id, int sig, bool all) {
  validate_container_id(id);
  auto lock = store_.open(id);
  ContainerState st = store_.load(lock);
  if (derive_status(st, lock.dir()) == Status::stopped) throw Error("container not running");
  UniqueFd pidfd = open_pidfd(st.pid);
  if (!pidfd) throw Error("container not running");
  if (all) {
    if (auto cg = open_cgroup_driver(st.cgroup_paths)) {
      // Through the cgroup: cgroup.kill on v2, freeze-signal-thaw on v1; nothing escapes by forking.
      cg->kill_all(sig);
      return;
    }
    for (pid_t pid : container_pids(st.pid)) {
      if (pid == st.pid) continue;
      UniqueFd fd = open_pidfd(pid);
      if (fd) ::syscall(SYS_pidfd_send_signal, fd.get(), sig, nullptr, 0);
    }
  }
  if (::syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) < 0) {
    if (errno == ESRCH) throw Error("container not running");
    throw Error(errno, "kill");
  }
}

void Runtime::remove(const std::string& id, bool force) {
  validate_container_id(id);
  auto lock = store_.open(id);
  ContainerState st;
  try {
    st = store_.load(lock);
  } catch (const Error& e) {
    // A directory without state is a create that died half-way: --force cleans it up.
    if (!force) throw;
    store_.remove(lock);
    return;
  }
  Status s = derive_status(st, lock.dir());
  if ((s == Status::running || s == Status::paused) && !force)
    throw Error(std::string("cannot delete a container that is ") + status_name(s) + " (use --force)");
  if (s != Status::stopped) {
    UniqueFd pidfd = open_pidfd(st.pid);
    if (pidfd) {
      if (auto cg = open_cgroup_driver(st.cgroup_paths)) {
        // A frozen task does not act on SIGKILL until thawed.
        if (cg->frozen()) cg->thaw();
        cg->kill_all(SIGKILL);
      } else {
        for (pid_t pid : container_pids(st.pid)) {
          UniqueFd fd = open_pidfd(pid);
          if (fd) ::syscall(SYS_pidfd_send_signal, fd.get(), SIGKILL, nullptr, 0);
        }
      }
      if (!wait_exit(pidfd.get(), 10000)) throw Error("container init did not exit after SIGKILL");
    }
  }
  if (auto cg = open_cgroup_driver(st.cgroup_paths)) cg->destroy();
  run_hooks_warn(hooks_of(st).poststop, "poststop", st.to_oci_json(Status::stopped, -1));
  store_.remove(lock);
}

std::vector<pid_t> Runtime::pids(const std::string& id) {
  validate_container_id(id);
  auto lock = store_.open(id);
  ContainerState st = store_.load(lock);
  if (derive_status(st, lock.dir()) == Status::stopped) return {};
  if (auto cg = open_cgroup_driver(st.cgroup_paths)) {
    auto pids = cg->pids();
    std::sort(pids.begin(), pids.end());
    return pids;
  }
  return container_pids(st.pid);
}

std::vector<Runtime::ListEntry> Runtime::list() {
  std::vector<ListEntry> out;
  for (const auto& id : store_.list_ids()) {
    // No lock: state.json is replaced atomically, and a container being created has none yet.
    StateStore::Locked unlocked(store_.dir(id), UniqueFd());
    try {
      ContainerState st = store_.load(unlocked);
      Status s = derive_status(st, store_.dir(id));
      out.push_back({std::move(st), s});
    } catch (const Error&) {
      continue;
    }
  }
  std::sort(out.begin(), out.end(),
            [](const ListEntry& a, const ListEntry& b) { return a.state.created < b.state.created; });
  return out;
}

}  // namespace skiff
