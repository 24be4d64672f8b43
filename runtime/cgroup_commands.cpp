// pause, resume, update, events: the commands that act on a running container's cgroups.
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

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
  // OOM kills are counted by the kernel (memory.events / memory.oom_control); a short poll of that
  // counter reports each within a tenth of a second without a notifier per hierarchy type.
  constexpr int kOomPollMs = 100;
  uint64_t ooms = cg->oom_kills();
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
    struct pollfd p = {pidfd.get(), POLLIN, 0};
    int n = ::poll(&p, 1, kOomPollMs);
    if (n > 0) {
      // Exited: report an OOM kill of the init itself before returning.
      uint64_t last = cg->oom_kills();
      for (; ooms < last; ++ooms) emit(event("oom", id).dump());
      return;
    }
  }
}

}  // namespace skiff
