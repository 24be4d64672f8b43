// The worker state machine against the kubelet's scenarios (pkg/kubelet/prober/worker_test.go):
// initial results, thresholds, initial delay, startup gating, on-hold, errors discarded. Time is a
// value handed in; nothing here sleeps.
#include "probe_worker.hpp"

#include <gtest/gtest.h>

namespace skiff::probes {
namespace {

using namespace std::chrono_literals;
using Action = ProbeWorker::Action;

ProbeSpec spec_with(int success = 1, int failure = 3, int initial_delay = 0) {
  ProbeSpec s;
  s.handler = TcpSocketAction{PortRef::of(80), ""};
  s.success_threshold = success;
  s.failure_threshold = failure;
  s.initial_delay_seconds = initial_delay;
  return s;
}

const TimePoint t0 = TimePoint{} + 1000s;

ContainerState running(const std::string& id, bool started = true, TimePoint since = t0) {
  ContainerState c;
  c.instance_id = id;
  c.phase = ContainerState::Phase::running;
  c.started_at = since;
  c.started = started;
  return c;
}

ProbeOutcome outcome(Result r, bool error = false) {
  ProbeOutcome o;
  o.result = r;
  o.is_error = error;
  return o;
}

// Ticks once at `now` and, if the worker asks, runs the probe with `r`. Returns the final result.
std::optional<Verdict> probe_once(ProbeWorker& w, const ContainerState& c, Result r,
                                  TimePoint now = t0 + 100s, bool error = false) {
  auto step = w.tick(now, PodState{}, c);
  if (step.action == Action::probe) w.complete(outcome(r, error), c.instance_id);
  return w.result();
}

TEST(ProbeWorker, InitialResultsPerKind) {
  for (auto [kind, want] :
       {std::pair{ProbeKind::readiness, Verdict::failure}, std::pair{ProbeKind::liveness, Verdict::success},
        std::pair{ProbeKind::startup, Verdict::unknown}}) {
    ProbeWorker w(kind, spec_with());
    // Startup gating keeps liveness/readiness from probing until started; initial values still set.
    auto step = w.tick(t0, PodState{}, running("c1", false, t0));
    ASSERT_TRUE(step.change) << kind_name(kind);
    EXPECT_EQ(step.change->verdict, want) << kind_name(kind);
    EXPECT_FALSE(step.change->from_probe);
    EXPECT_EQ(step.change->instance_id, "c1");
    EXPECT_EQ(w.result(), want);
  }
}

TEST(ProbeWorker, NoInstanceYetWaitsWithoutResult) {
  ProbeWorker w(ProbeKind::readiness, spec_with());
  auto step = w.tick(t0, PodState{}, ContainerState{});
  EXPECT_EQ(step.action, Action::wait);
  EXPECT_FALSE(step.change);
  EXPECT_FALSE(w.result());
}

TEST(ProbeWorker, FailureThreshold) {
  ProbeWorker w(ProbeKind::readiness, spec_with(1, 3));
  auto c = running("c1");
  EXPECT_EQ(probe_once(w, c, Result::success), Verdict::success);
  EXPECT_EQ(probe_once(w, c, Result::failure), Verdict::success);
  EXPECT_EQ(probe_once(w, c, Result::failure), Verdict::success);
  EXPECT_EQ(probe_once(w, c, Result::failure), Verdict::failure);  // third in a row
  EXPECT_EQ(probe_once(w, c, Result::success), Verdict::success);
  // A success in between restarts the count.
  EXPECT_EQ(probe_once(w, c, Result::failure), Verdict::success);
  EXPECT_EQ(probe_once(w, c, Result::failure), Verdict::success);
  EXPECT_EQ(probe_once(w, c, Result::success), Verdict::success);
  EXPECT_EQ(probe_once(w, c, Result::failure), Verdict::success);
  EXPECT_EQ(probe_once(w, c, Result::failure), Verdict::success);
  EXPECT_EQ(probe_once(w, c, Result::failure), Verdict::failure);
}

TEST(ProbeWorker, SuccessThreshold) {
  ProbeWorker w(ProbeKind::readiness, spec_with(3, 1));
  auto c = running("c1");
  w.tick(t0, PodState{}, c);
  EXPECT_EQ(w.result(), Verdict::failure);
  std::optional<ProbeWorker::Change> change;
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(w.tick(t0 + 10s, PodState{}, c).action, Action::probe);
    EXPECT_FALSE(w.complete(outcome(Result::success), "c1"));
  }
  ASSERT_EQ(w.tick(t0 + 10s, PodState{}, c).action, Action::probe);
  change = w.complete(outcome(Result::success), "c1");
  ASSERT_TRUE(change);
  EXPECT_EQ(change->verdict, Verdict::success);
  EXPECT_TRUE(change->from_probe);
  // failureThreshold 1: one failure publishes at once.
  EXPECT_EQ(probe_once(w, c, Result::failure), Verdict::failure);
}

TEST(ProbeWorker, WarningCountsAsSuccessAndUnknownAsFailure) {
  ProbeWorker w(ProbeKind::readiness, spec_with(1, 1));
  auto c = running("c1");
  EXPECT_EQ(probe_once(w, c, Result::warning), Verdict::success);
  EXPECT_EQ(probe_once(w, c, Result::unknown), Verdict::failure);
}

TEST(ProbeWorker, ErrorsAreDiscarded) {
  ProbeWorker w(ProbeKind::readiness, spec_with(1, 2));
  auto c = running("c1");
  EXPECT_EQ(probe_once(w, c, Result::success), Verdict::success);
  EXPECT_EQ(probe_once(w, c, Result::failure), Verdict::success);
  // An error between two failures neither counts nor breaks the run.
  EXPECT_EQ(probe_once(w, c, Result::unknown, t0 + 100s, /*error=*/true), Verdict::success);
  EXPECT_EQ(probe_once(w, c, Result::failure, t0 + 100s, /*error=*/true), Verdict::success);
  EXPECT_EQ(probe_once(w, c, Result::failure), Verdict::failure);
}

TEST(ProbeWorker, InitialDelayIsWholeSecondsSinceTheInstanceStarted) {
  ProbeWorker w(ProbeKind::readiness, spec_with(1, 3, 5));
  auto c = running("c1", true, t0);
  EXPECT_EQ(w.tick(t0, PodState{}, c).action, Action::wait);
  // 4.999 s truncates to 4 < 5.
  EXPECT_EQ(w.tick(t0 + 4999ms, PodState{}, c).action, Action::wait);
  EXPECT_EQ(w.tick(t0 + 5s, PodState{}, c).action, Action::probe);
  w.complete(outcome(Result::success), "c1");
  // A new instance is measured from its own start.
  auto c2 = running("c2", true, t0 + 60s);
  EXPECT_EQ(w.tick(t0 + 61s, PodState{}, c2).action, Action::wait);
  EXPECT_EQ(w.tick(t0 + 65s, PodState{}, c2).action, Action::probe);
}

TEST(ProbeWorker, StartupGatesLivenessAndReadiness) {
  for (auto kind : {ProbeKind::liveness, ProbeKind::readiness}) {
    ProbeWorker w(kind, spec_with());
    EXPECT_EQ(w.tick(t0, PodState{}, running("c1", /*started=*/false)).action, Action::wait)
        << kind_name(kind);
    EXPECT_EQ(w.tick(t0, PodState{}, running("c1", /*started=*/true)).action, Action::probe)
        << kind_name(kind);
  }
  ProbeWorker s(ProbeKind::startup, spec_with());
  EXPECT_EQ(s.tick(t0, PodState{}, running("c1", false)).action, Action::probe);
  EXPECT_EQ(s.tick(t0, PodState{}, running("c1", true)).action, Action::wait);
}

TEST(ProbeWorker, LivenessFailureHoldsUntilANewInstance) {
  ProbeWorker w(ProbeKind::liveness, spec_with(1, 1));
  auto c = running("c1");
  auto step = w.tick(t0, PodState{}, c);
  ASSERT_EQ(step.action, Action::probe);
  auto change = w.complete(outcome(Result::failure), "c1");
  ASSERT_TRUE(change);
  EXPECT_EQ(change->verdict, Verdict::failure);
  EXPECT_TRUE(change->from_probe);
  EXPECT_TRUE(w.on_hold());
  // On hold: no more probes, whatever happens to this instance.
  EXPECT_EQ(w.tick(t0 + 10s, PodState{}, c).action, Action::wait);
  auto exited = c;
  exited.phase = ContainerState::Phase::terminated;
  EXPECT_FALSE(w.tick(t0 + 20s, PodState{}, exited).change);
  // The restarted instance starts from Success and is probed again.
  step = w.tick(t0 + 30s, PodState{}, running("c2", true, t0 + 25s));
  ASSERT_TRUE(step.change);
  EXPECT_EQ(step.change->verdict, Verdict::success);
  EXPECT_EQ(step.action, Action::probe);
  EXPECT_FALSE(w.on_hold());
}

TEST(ProbeWorker, ResultRunStartsOverAfterALivenessVerdict) {
  ProbeWorker w(ProbeKind::liveness, spec_with(1, 3));
  auto c = running("c1");
  for (int i = 0; i < 3; ++i) probe_once(w, c, Result::failure);
  EXPECT_EQ(w.result(), Verdict::failure);
  auto c2 = running("c2");
  // Two failures on the new instance stay below the threshold: the run restarted at the verdict.
  EXPECT_EQ(probe_once(w, c2, Result::failure), Verdict::success);
  EXPECT_EQ(probe_once(w, c2, Result::failure), Verdict::success);
  EXPECT_EQ(probe_once(w, c2, Result::failure), Verdict::failure);
}

TEST(ProbeWorker, ReadinessRunCarriesAcrossInstancesAsTheKubeletsDoes) {
  // lastResult/resultRun are not reset for a new container: two failures before a restart and one
  // after reach failureThreshold 3 (visible here because the threshold is met at the first probe).
  ProbeWorker w(ProbeKind::readiness, spec_with(2, 3));
  probe_once(w, running("c1"), Result::success);
  EXPECT_EQ(w.result(), Verdict::failure);  // one success of two
  EXPECT_EQ(probe_once(w, running("c2"), Result::success), Verdict::success);
}

TEST(ProbeWorker, StartupVerdictsHoldInBothDirections) {
  ProbeWorker ok(ProbeKind::startup, spec_with());
  auto c = running("c1", false);
  EXPECT_EQ(probe_once(ok, c, Result::success), Verdict::success);
  EXPECT_TRUE(ok.on_hold());
  ProbeWorker bad(ProbeKind::startup, spec_with(1, 2));
  EXPECT_EQ(probe_once(bad, c, Result::failure), Verdict::unknown);
  EXPECT_EQ(probe_once(bad, c, Result::failure), Verdict::failure);
  EXPECT_TRUE(bad.on_hold());
  EXPECT_EQ(bad.tick(t0 + 200s, PodState{}, c).action, Action::wait);
}

TEST(ProbeWorker, NotRunningIsFailureAndNeverStopsUnlessRestartNever) {
  ProbeWorker w(ProbeKind::liveness, spec_with());
  ContainerState c = running("c1");
  c.phase = ContainerState::Phase::waiting;
  auto step = w.tick(t0, PodState{}, c);
  EXPECT_EQ(step.action, Action::wait);
  EXPECT_EQ(w.result(), Verdict::failure);
  c.phase = ContainerState::Phase::terminated;
  EXPECT_EQ(w.tick(t0, PodState{}, c).action, Action::wait);
  PodState never;
  never.restart_never = true;
  EXPECT_EQ(w.tick(t0, never, c).action, Action::stop);
}

TEST(ProbeWorker, DeletionEndsLivenessAndStartupWithSuccess) {
  PodState deleting;
  deleting.deleting = true;
  for (auto kind : {ProbeKind::liveness, ProbeKind::startup}) {
    ProbeWorker w(kind, spec_with());
    auto step = w.tick(t0, deleting, running("c1", kind == ProbeKind::liveness));
    EXPECT_EQ(step.action, Action::stop) << kind_name(kind);
    EXPECT_EQ(w.result(), Verdict::success) << kind_name(kind);
  }
  ProbeWorker r(ProbeKind::readiness, spec_with());
  EXPECT_EQ(r.tick(t0, deleting, running("c1")).action, Action::probe);
}

TEST(ProbeWorker, TerminalPodStops) {
  PodState done;
  done.terminal = true;
  ProbeWorker w(ProbeKind::readiness, spec_with());
  EXPECT_EQ(w.tick(t0, done, running("c1")).action, Action::stop);
}

TEST(ProbeWorker, OutcomeForAReplacedInstanceIsDropped) {
  ProbeWorker w(ProbeKind::readiness, spec_with(1, 1));
  ASSERT_EQ(w.tick(t0, PodState{}, running("c1")).action, Action::probe);
  // The container restarted while the probe ran.
  w.tick(t0 + 1s, PodState{}, running("c2"));
  EXPECT_FALSE(w.complete(outcome(Result::success), "c1"));
  EXPECT_EQ(w.result(), Verdict::failure);
}

}  // namespace
}  // namespace skiff::probes
