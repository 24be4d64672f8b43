// The kubelet's prober manager for the containers of one node (pkg/kubelet/prober/prober_manager.go,
// worker.go's run loop, prober.go's retries and events), on one event loop: per (container, kind) a
// ProbeWorker ticking every period (jittered when the prober itself just started), manual readiness
// triggers while started but not ready, actions run through a ProbeRunner with up to three attempts on
// an error, and the results turned into the container's started / ready state. What it reports, the
// supervisor turns into events (Unhealthy, ProbeWarning), kills (liveness/startup Failure) and
// endpoint changes (ready). Bounded: per container three workers, a short history each, one metric
// series each, all dropped with the container.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "probe_history.hpp"
#include "probe_metrics.hpp"
#include "probe_runner.hpp"
#include "probe_worker.hpp"

namespace skiff::probes {

struct ContainerRef {
  std::string namespace_name;
  std::string pod;
  std::string pod_uid;
  std::string container;
};

struct ContainerProbes {
  std::optional<ProbeSpec> liveness;
  std::optional<ProbeSpec> readiness;
  std::optional<ProbeSpec> startup;
};

// The container's runtime state as the supervisor sees it (the worker's view minus `started`).
struct ContainerStatus {
  std::string instance_id;
  ContainerState::Phase phase = ContainerState::Phase::waiting;
  TimePoint started_at{};
};

// An event the kubelet records for one probe run (after its retries).
struct ProbeEvent {
  enum class Type { unhealthy, probe_warning };
  Type type = Type::unhealthy;
  std::string message;  // "Liveness probe failed: HTTP probe failed with statuscode: 500"
  const char* reason() const { return type == Type::unhealthy ? "Unhealthy" : "ProbeWarning"; }
};

// A change of a published result: a Failure of liveness or startup with from_probe set is the
// kubelet's cue to kill the container (kill_message) with the probe's grace period, else the pod's.
struct ProbeChange {
  ProbeKind kind = ProbeKind::liveness;
  std::string instance_id;
  Verdict verdict = Verdict::unknown;
  bool from_probe = false;
  std::string message;  // the run's output that reached the threshold, when from_probe
};

struct ProbeCallbacks {
  std::function<void(const ContainerRef&, ProbeKind, const ProbeEvent&)> event;
  std::function<void(const ContainerRef&, const ProbeChange&)> result_changed;
  // Started (running, startup probe passed or none) and ready (started, readiness passed or none).
  std::function<void(const ContainerRef&, bool started, bool ready)> status_changed;
};

// "Container web failed liveness probe, will be restarted" (the Killing event's message).
std::string kill_message(const std::string& container, ProbeKind kind);

struct ProbeManagerOptions {
  size_t history = 10;             // runs kept per probe
  int max_attempts = 3;            // the kubelet's maxProbeRetries (on errors only)
  std::function<double()> random;  // in [0, 1): the first-run jitter; default a seeded PRNG
  // Timers fire on this grid (rounded up; the ticks keep their exact phase): probes due within the
  // same slice wake the loop once. 0: to the nanosecond (the fake-clock tests).
  std::chrono::milliseconds timer_slack{20};
};

class ProbeManager {
 public:
  using Handle = uint64_t;

  ProbeManager(Scheduler& scheduler, ProbeRunner& runner, ProbeCallbacks callbacks,
               ProbeManagerOptions options = {});
  ~ProbeManager();
  ProbeManager(const ProbeManager&) = delete;
  ProbeManager& operator=(const ProbeManager&) = delete;

  // The pod was admitted: its workers start now (before the container exists, as the kubelet's).
  Handle add(ContainerRef ref, ProbeTarget target, ContainerProbes probes, PodState pod = {});
  // Stops the workers (cancelling running actions) and forgets results, history and metrics.
  void remove(Handle h);
  void update_target(Handle h, ProbeTarget target);
  // The container's state changed (created, running, exited; a new instance id for a restart).
  void set_container(Handle h, const ContainerStatus& status);
  void set_pod(Handle h, const PodState& pod);
  // The pod's status was regenerated (the kubelet's UpdatePodStatus): a started container whose
  // readiness has no Success yet gets its readiness probe run at once. Called internally after every
  // container or result change; the supervisor may call it on its own periodic resync.
  void sync(Handle h);

  bool started(Handle h) const;
  bool ready(Handle h) const;
  std::optional<Verdict> result(Handle h, ProbeKind kind) const;
  std::vector<ProbeRecord> history(Handle h, ProbeKind kind) const;
  std::string metrics_text() const { return metrics_.text(); }
  size_t containers() const { return entries_.size(); }

 private:
  struct Worker;
  struct Entry;
  Entry* find(Handle h);
  const Entry* find(Handle h) const;
  Worker* worker(Handle h, ProbeKind kind);
  bool started(const Entry& e) const;
  bool ready(const Entry& e) const;
  void schedule(Handle h, ProbeKind kind, TimePoint when);
  void on_timer(Handle h, ProbeKind kind);
  void trigger(Handle h, ProbeKind kind);
  void run(Handle h, ProbeKind kind);
  void attempt(Handle h, ProbeKind kind);
  void after_run(Handle h, ProbeKind kind);
  void finished(Handle h, ProbeKind kind, ProbeOutcome outcome);
  void publish(Handle h, ProbeKind kind, const ProbeWorker::Change& change, const std::string& message);
  void stop_worker(Handle h, ProbeKind kind);
  void update_status(Handle h);
  // Callbacks run only once the manager's state is consistent again, and may call back into it.
  void notify(std::function<void()> fn);
  void flush();

  Scheduler& sched_;
  ProbeRunner& runner_;
  ProbeCallbacks cb_;
  ProbeManagerOptions opt_;
  TimePoint start_;
  std::mt19937_64 prng_;
  std::map<Handle, std::unique_ptr<Entry>> entries_;
  Handle next_ = 1;
  ProbeMetrics metrics_;
  std::vector<std::function<void()>> pending_;
  int depth_ = 0;
  std::optional<ProbeKind> publishing_;  // the worker whose result is being published
};

}  // namespace skiff::probes
