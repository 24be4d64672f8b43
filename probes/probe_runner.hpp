// What a probe runs against and how its action is started: the seam between the worker machinery
// (ProbeManager) and the mechanisms (httpGet, tcpSocket, grpc, exec), so each side is tested alone.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "probe_result.hpp"
#include "probe_spec.hpp"
#include "unique_fd.hpp"

namespace skiff::probes {

// A process started inside a container: a child of the calling process, leader of its own process
// group, owned through its pidfd (the caller reaps it).
struct ExecChild {
  pid_t pid = -1;
  UniqueFd pidfd;
};

// How probes/ runs a command inside a container without knowing how containers are run.
class ExecRunner {
 public:
  virtual ~ExecRunner() = default;
  // Starts argv in the container with stdin on /dev/null and stdout and stderr both on output_fd, and
  // returns once it runs (the caller's event loop waits for it to exit). Throws skiff::Error when it
  // cannot start (no such container, not running, no such executable): an error, not a failure.
  virtual ExecChild start(const std::vector<std::string>& argv, int output_fd) = 0;
};

// What the supervisor knows about the container a probe targets.
struct ProbeTarget {
  std::string pod_ip;                // where httpGet/tcpSocket/grpc connect when no host is given
  std::vector<ContainerPort> ports;  // for named ports
  // The container's env as written in its spec, in order; entries from valueFrom with an empty value
  // (the kubelet expands $(VAR) in exec commands from these only).
  std::vector<std::pair<std::string, std::string>> env;
  std::shared_ptr<ExecRunner> exec;  // for exec probes; null: they error
};

// A started action. Destroying it cancels it: its callback is then never called, and it leaves no fd,
// process or timer behind.
class ProbeOperation {
 public:
  virtual ~ProbeOperation() = default;
};

using ProbeDone = std::function<void(ProbeOutcome)>;

// Starts probe actions. `done` is called exactly once, from the event loop, never from within start().
class ProbeRunner {
 public:
  virtual ~ProbeRunner() = default;
  virtual std::unique_ptr<ProbeOperation> start(const ProbeHandler& handler, const ProbeTarget& target,
                                                std::chrono::milliseconds timeout, ProbeDone done) = 0;
};

// Timers and time for the ProbeManager: the event loop in production, a fake clock in tests.
class Scheduler {
 public:
  using TimerId = uint64_t;
  virtual ~Scheduler() = default;
  virtual TimePoint now() = 0;
  virtual std::chrono::system_clock::time_point wall_now() = 0;
  // Calls fn once at `when` (at once, from the loop, if it has passed). Ids are never 0.
  virtual TimerId at(TimePoint when, std::function<void()> fn) = 0;
  virtual void cancel(TimerId id) = 0;
};

}  // namespace skiff::probes
