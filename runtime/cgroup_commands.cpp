// pause, resume, update, events: the commands that act on a running container's cgroups.
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "cgroup.hpp"
#include "container.hpp"
#include "error.hpp"

namespace skiff {
namespace {

std::unique_ptr<CgroupDriver> driver_of(const ContainerState& st) {
  auto cg = open_cgroup_driver(st.cgroup_paths);
  if (!cg) throw Error("the container has no cgroups (created rootless without delegation)");
  return cg;
}

// runc's event object: type, id, then data; in that order.
nlohmann::ordered_json event(const char* type, const std::string& id) {
  nlohmann::ordered_json e;
  e["type"] = type;
  e["id"] = id;
  return e;
}

// An fd that becomes readable when the kernel may have OOM-killed in the container's memory cgroup:
// v1 an eventfd registered on memory.oom_control through cgroup.event_control, v2 an inotify watch on
// memory.events (the kernel notifies changes of that file). Empty when neither can be had.
UniqueFd oom_notifier(const std::map<std::string, std::string>& paths) {
  if (auto v1 = paths.find("memory"); v1 != paths.end()) {
    UniqueFd efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    UniqueFd ctl(::open((v1->second + "/memory.oom_control").c_str(), O_RDONLY | O_CLOEXEC));
    if (!efd || !ctl) return UniqueFd();
    std::string reg = std::to_string(efd.get()) + " " + std::to_string(ctl.get());
    UniqueFd ec(::open((v1->second + "/cgroup.event_control").c_str(), O_WRONLY | O_CLOEXEC));
    if (!ec || ::write(ec.get(), reg.data(), reg.size()) != static_cast<ssize_t>(reg.size()))
      return UniqueFd();
    return efd;  // the registration lives as long as the eventfd
  }
  if (auto v2 = paths.find("unified"); v2 != paths.end()) {
    UniqueFd ifd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!ifd || ::inotify_add_watch(ifd.get(), (v2->second + "/memory.events").c_str(), IN_MODIFY) < 0)
      return UniqueFd();
    return ifd;
  }
  return UniqueFd();
}

void drain(int fd) {
  char buf[4096];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

}  // namespace

void Runtime::pause(const std::string& id) {
  validate_container_id(id);
  auto lock = store_.open(id);
  ContainerState st = store_.load(lock);
  Status s = derive_status(st, lock.dir());
  if (s == Status::paused) throw Error("container is already paused");
  if (s != Status::running && s != Status::created)
    throw Error(std::string("container is ") + status_name(s) + ", not running");
  driver_of(st)->freeze();
}

void Runtime::resume(const std::string& id) {
  validate_container_id(id);
  auto lock = store_.open(id);
  ContainerState st = store_.load(lock);
  if (derive_status(st, lock.dir()) != Status::paused) throw Error("container is not paused");
  driver_of(st)->thaw();
}

void Runtime::update(const std::string& id, const nlohmann::json& resources) {
  validate_container_id(id);
  CgroupResources r = parse_cgroup_resources(resources);  // before the lock: bad input changes nothing
  auto lock = store_.open(id);
  ContainerState st = store_.load(lock);
  if (derive_status(st, lock.dir()) == Status::stopped) throw Error("container is stopped");
  driver_of(st)->apply(r, /*update=*/true);
}

std::string Runtime::stats_json(const std::string& id) {
  validate_container_id(id);
  auto lock = store_.open(id);
  ContainerState st = store_.load(lock);
  if (derive_status(st, lock.dir()) == Status::stopped) throw Error("container is stopped");
  auto e = event("stats", id);
  e["data"] = driver_of(st)->stats();
  return e.dump();
}

void Runtime::events(const std::string& id, int interval_ms, bool with_stats,
                     const std::function<void(const std::string&)>& emit) {
  validate_container_id(id);
  ContainerState st;
  {
    // Not held while streaming: other commands on the container must go on meanwhile.
    auto lock = store_.open(id);
    st = store_.load(lock);
    if (derive_status(st, lock.dir()) == Status::stopped) throw Error("container is stopped");
  }
  auto cg = driver_of(st);
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, st.pid, 0)));
  if (!pidfd) throw Error(errno, "container init is gone");
  // OOM kills are counted by the kernel (memory.events / memory.oom_control); the count is read again
  // whenever the kernel signals an OOM (or the memory.events change), and once a second in case no
  // notifier could be had.
  UniqueFd notifier = oom_notifier(st.cgroup_paths);
  const int idle_ms = notifier ? 1000 : 100;
  uint64_t ooms = cg->oom_kills();
  bool recheck = false;  // v1 signals when the OOM starts; the kill is counted a moment later
  auto next_stats = std::chrono::steady_clock::now();
  for (;;) {
    uint64_t now_ooms = cg->oom_kills();
    for (; ooms < now_ooms; ++ooms) emit(event("oom", id).dump());
    if (with_stats && std::chrono::steady_clock::now() >= next_stats) {
      nlohmann::ordered_json data;
      try {
        data = cg->stats();
      } catch (const Error&) {
        return;  // the cgroup went away with the container
      }
      auto e = event("stats", id);
      e["data"] = std::move(data);
      emit(e.dump());
      next_stats += std::chrono::milliseconds(interval_ms);
    }
    int timeout = idle_ms;
    if (with_stats) {
      auto until = std::chrono::duration_cast<std::chrono::milliseconds>(next_stats -
                                                                         std::chrono::steady_clock::now());
      timeout = static_cast<int>(std::clamp<int64_t>(until.count(), 0, idle_ms));
    }
    struct pollfd p[2] = {{pidfd.get(), POLLIN, 0}, {notifier ? notifier.get() : -1, POLLIN, 0}};
    int n = ::poll(p, 2, recheck ? std::min(timeout, 20) : timeout);
    recheck = n > 0 && (p[1].revents & POLLIN);
    if (recheck) drain(notifier.get());
    if (n > 0 && p[0].revents) {
      // Exited: report an OOM kill of the init itself before returning.
      uint64_t last = cg->oom_kills();
      for (; ooms < last; ++ooms) emit(event("oom", id).dump());
      return;
    }
  }
}

}  // namespace skiff
