// The kubelet's probe worker (pkg/kubelet/prober/worker.go, doProbe) for one (container, probe kind) as
// a pure state machine: it is told the time and the container's state, says whether to run the probe,
// and is given the probe's outcome. Scheduling (the ticker, jitter, manual triggers) and running the
// action belong to the ProbeManager; the worker never reads a clock and never does I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "probe_result.hpp"
#include "probe_spec.hpp"

namespace skiff::probes {

// The pod as the worker sees it at a tick.
struct PodState {
  bool terminal = false;       // phase Succeeded or Failed: the worker ends
  bool deleting = false;       // deletion requested: liveness and startup stop, readiness goes on
  bool restart_never = false;  // restartPolicy Never: a terminated container ends the worker
};

// The probed container as the worker sees it at a tick.
struct ContainerState {
  enum class Phase { waiting, running, terminated };
  std::string instance_id;  // the runtime's id of the current instance; empty until one exists
  Phase phase = Phase::waiting;
  TimePoint started_at{};  // when the current instance started running
  // Started as the prober manager computes it: running, and the startup probe succeeded (or none).
  bool started = false;
};

// The initial result of a new instance: readiness Failure, liveness Success, startup Unknown.
Verdict initial_verdict(ProbeKind kind);

class ProbeWorker {
 public:
  ProbeWorker(ProbeKind kind, ProbeSpec spec) : kind_(kind), spec_(std::move(spec)) {}

  // A change of the published result (the results manager's Set that yields an update).
  struct Change {
    std::string instance_id;
    Verdict verdict;
    bool from_probe;  // reached by the thresholds (false: initial value, not running, pod deleting)
  };
  enum class Action { wait, probe, stop };
  struct Step {
    Action action = Action::wait;
    std::optional<Change> change;
  };

  // One doProbe up to running the action: whether to run it now (probe), skip this tick (wait), or
  // end the worker for good (stop); and the result change the tick itself made, if any.
  Step tick(TimePoint now, const PodState& pod, const ContainerState& container);

  // The rest of doProbe: `outcome` is the action's answer after the prober's retries. An error is
  // discarded; otherwise the run counts towards the thresholds. `instance_id` is the instance the
  // action ran against (instance() when tick said probe): if a newer one has been seen since, the
  // outcome is stale and discarded.
  std::optional<Change> complete(const ProbeOutcome& outcome, const std::string& instance_id);

  ProbeKind kind() const { return kind_; }
  const ProbeSpec& spec() const { return spec_; }
  // The published result for instance(), if the worker has seen an instance.
  std::optional<Verdict> result() const { return result_; }
  const std::string& instance() const { return instance_; }
  bool on_hold() const { return on_hold_; }

 private:
  std::optional<Change> set(Verdict v, bool from_probe);

  ProbeKind kind_;
  ProbeSpec spec_;
  std::string instance_;
  std::optional<Verdict> result_;
  // lastResult and resultRun, which the kubelet keeps across instances.
  std::optional<Verdict> last_;
  int run_ = 0;
  bool on_hold_ = false;
};

}  // namespace skiff::probes
