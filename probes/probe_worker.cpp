// doProbe, step for step (pkg/kubelet/prober/worker.go); the order of the checks is the kubelet's.
#include "probe_worker.hpp"

namespace skiff::probes {

const char* result_name(Result r) {
  switch (r) {
    case Result::success:
      return "success";
    case Result::warning:
      return "warning";
    case Result::failure:
      return "failure";
    case Result::unknown:
      return "unknown";
  }
  return "?";
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::unknown:
      return "Unknown";
    case Verdict::success:
      return "Success";
    case Verdict::failure:
      return "Failure";
  }
  return "?";
}

Verdict initial_verdict(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::readiness:
      return Verdict::failure;
    case ProbeKind::liveness:
      return Verdict::success;
    case ProbeKind::startup:
      return Verdict::unknown;
  }
  return Verdict::unknown;
}

std::optional<ProbeWorker::Change> ProbeWorker::set(Verdict v, bool from_probe) {
  if (result_ == v) return std::nullopt;
  result_ = v;
  return Change{instance_, v, from_probe};
}

ProbeWorker::Step ProbeWorker::tick(TimePoint now, const PodState& pod, const ContainerState& c) {
  Step step;
  if (pod.terminal) {
    step.action = Action::stop;
    return step;
  }
  if (c.instance_id.empty()) return step;  // not created yet, or deleted: wait for more information
  if (c.instance_id != instance_) {
    // A new instance: its result starts over at the initial value and probing resumes.
    instance_ = c.instance_id;
    result_.reset();
    step.change = set(initial_verdict(kind_), false);
    on_hold_ = false;
  }
  if (on_hold_) return step;
  if (c.phase != ContainerState::Phase::running) {
    if (auto ch = set(Verdict::failure, false)) step.change = ch;
    if (c.phase == ContainerState::Phase::terminated && pod.restart_never) step.action = Action::stop;
    return step;
  }
  if (pod.deleting && kind_ != ProbeKind::readiness) {
    // A quiet shutdown: liveness and startup stop with Success so nothing restarts a dying pod.
    if (auto ch = set(Verdict::success, false)) step.change = ch;
    step.action = Action::stop;
    return step;
  }
  // The kubelet compares whole seconds, truncated: int32(time.Since(startedAt).Seconds()).
  auto since = std::chrono::duration<double>(now - c.started_at).count();
  if (static_cast<int64_t>(since) < spec_.initial_delay_seconds) return step;
  if (c.started) {
    if (kind_ == ProbeKind::startup) return step;  // kept for the next instance
  } else if (kind_ != ProbeKind::startup) {
    return step;  // liveness and readiness wait for the startup probe
  }
  step.action = Action::probe;
  return step;
}

std::optional<ProbeWorker::Change> ProbeWorker::complete(const ProbeOutcome& outcome,
                                                         const std::string& instance_id) {
  if (instance_id != instance_ || on_hold_) return std::nullopt;
  if (outcome.is_error) return std::nullopt;  // a prober error: thrown away, not counted
  // prober.probe's mapping: warning is success (with a ProbeWarning event), unknown is failure.
  Verdict v = (outcome.result == Result::success || outcome.result == Result::warning) ? Verdict::success
                                                                                       : Verdict::failure;
  if (last_ == v) {
    ++run_;
  } else {
    last_ = v;
    run_ = 1;
  }
  if ((v == Verdict::failure && run_ < spec_.failure_threshold) ||
      (v == Verdict::success && run_ < spec_.success_threshold))
    return std::nullopt;
  auto change = set(v, true);
  if ((kind_ == ProbeKind::liveness && v == Verdict::failure) || kind_ == ProbeKind::startup) {
    // A verdict that restarts (or starts) the container: no more probing until a new instance.
    on_hold_ = true;
    run_ = 0;
  }
  return change;
}

}  // namespace skiff::probes
