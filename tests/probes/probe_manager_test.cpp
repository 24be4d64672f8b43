// The ProbeManager on a fake clock: when probes run (period, jitter, initial delay rounded to a tick,
// manual readiness triggers, a slow probe's pending tick), retries on errors, startup gating of the
// container's started/ready state, events, kills, history and metrics, and cleanup.
#include "probe_manager.hpp"

#include <gtest/gtest.h>

#include "fake_probe_env.hpp"

namespace skiff::probes {
namespace {

using namespace std::chrono_literals;
using test::FakeRunner;
using test::FakeScheduler;
using test::outcome;

ProbeSpec probe(int period = 10, int success = 1, int failure = 3, int delay = 0,
                std::string path = "/healthz") {
  ProbeSpec s;
  s.handler = HttpGetAction{path, PortRef::of(8080), "", Scheme::http, {}};
  s.period_seconds = period;
  s.success_threshold = success;
  s.failure_threshold = failure;
  s.initial_delay_seconds = delay;
  return s;
}

struct Recorder {
  std::vector<std::string> events;
  std::vector<ProbeChange> changes;
  std::vector<std::pair<bool, bool>> statuses;
  ProbeCallbacks callbacks() {
    return {[this](const ContainerRef&, ProbeKind, const ProbeEvent& e) {
              events.push_back(std::string(e.reason()) + ": " + e.message);
            },
            [this](const ContainerRef&, const ProbeChange& c) { changes.push_back(c); },
            [this](const ContainerRef&, bool s, bool r) { statuses.emplace_back(s, r); }};
  }
};

class ProbeManagerTest : public ::testing::Test {
 protected:
  ProbeManagerTest() : runner(sched) {
    // Long after the prober started: no jitter unless a test makes its own manager.
    sched.advance(1h);
    ProbeManagerOptions o;
    o.random = [] { return 0.5; };
    o.timer_slack = 0ms;  // exact times: the kubelet's schedule to the nanosecond
    mgr = std::make_unique<ProbeManager>(sched, runner, rec.callbacks(), o);
    sched.advance(1h);
  }
  // Adds the pod and lets the workers' first run happen (the container does not exist yet), as when
  // a pod is admitted before its containers start.
  ProbeManager::Handle add(ContainerProbes p) {
    auto h = mgr->add({"default", "web-1", "uid-1", "web"}, {"10.0.0.5", {}, {}, nullptr}, std::move(p));
    sched.advance(0ns);
    return h;
  }
  void start_instance(ProbeManager::Handle h, const std::string& id) {
    mgr->set_container(h, {id, ContainerState::Phase::running, sched.now()});
  }
  // Times (seconds after `since`) at which the runner was started.
  std::vector<double> start_times(TimePoint since) const {
    std::vector<double> t;
    for (const auto& s : runner.started) t.push_back(std::chrono::duration<double>(s.at - since).count());
    return t;
  }

  FakeScheduler sched;
  FakeRunner runner;
  Recorder rec;
  std::unique_ptr<ProbeManager> mgr;
};

TEST_F(ProbeManagerTest, ReadinessRunsAtOnceWhenTheContainerStarts) {
  auto h = add({std::nullopt, probe(), std::nullopt});
  sched.advance(3s);
  EXPECT_TRUE(runner.started.empty());  // no container yet: the worker waits
  TimePoint t = sched.now();
  start_instance(h, "c1");
  EXPECT_TRUE(mgr->started(h));
  EXPECT_FALSE(mgr->ready(h));
  sched.advance(20ms);
  ASSERT_EQ(runner.started.size(), 1u);
  EXPECT_EQ(start_times(t)[0], 0);  // the manual trigger, not the next tick
  EXPECT_TRUE(mgr->ready(h));
  EXPECT_EQ(rec.statuses, (std::vector<std::pair<bool, bool>>{{true, false}, {true, true}}));
  // The trigger restarted the ticker: next run one period later.
  sched.advance(10s);
  ASSERT_EQ(runner.started.size(), 2u);
  EXPECT_EQ(start_times(t)[1], 10);
}

TEST_F(ProbeManagerTest, InitialDelayIsRoundedUpToATick) {
  // initialDelaySeconds 5, period 10: the trigger at start is skipped (too early) and resets the
  // ticker, so the first probe runs 10 s after the start, as on a kubelet.
  auto h = add({std::nullopt, probe(10, 1, 3, 5), std::nullopt});
  sched.advance(2s);
  TimePoint t = sched.now();
  start_instance(h, "c1");
  sched.advance(9s);
  EXPECT_TRUE(runner.started.empty());
  EXPECT_FALSE(mgr->ready(h));
  sched.advance(2s);
  ASSERT_EQ(runner.started.size(), 1u);
  EXPECT_EQ(start_times(t)[0], 10);
  EXPECT_TRUE(mgr->ready(h));
}

TEST_F(ProbeManagerTest, LivenessTicksFromTheWorkerNotTheContainer) {
  auto h = add({probe(10, 1, 3), std::nullopt, std::nullopt});
  TimePoint added = sched.now();
  sched.advance(4s);
  start_instance(h, "c1");
  sched.advance(30s);
  // Ticks at 0 (no container), 10, 20, 30 after the worker was added; no run at the start itself.
  EXPECT_EQ(start_times(added), (std::vector<double>{10, 20, 30}));
}

TEST_F(ProbeManagerTest, LivenessFailureAtThresholdKillsOnceAndHolds) {
  auto h = add({probe(10, 1, 3), std::nullopt, std::nullopt});
  start_instance(h, "c1");
  runner.fallback = outcome(Result::failure, "HTTP probe failed with statuscode: 500");
  sched.advance(35s);
  ASSERT_EQ(runner.started.size(), 3u);
  // Each failure is an Unhealthy event; the third reaches the threshold.
  EXPECT_EQ(rec.events.size(), 3u);
  EXPECT_EQ(rec.events[0], "Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 500");
  ASSERT_FALSE(rec.changes.empty());
  const ProbeChange& kill = rec.changes.back();
  EXPECT_EQ(kill.kind, ProbeKind::liveness);
  EXPECT_EQ(kill.verdict, Verdict::failure);
  EXPECT_TRUE(kill.from_probe);
  EXPECT_EQ(kill.instance_id, "c1");
  EXPECT_EQ(kill_message("web", kill.kind), "Container web failed liveness probe, will be restarted");
  // On hold until a new instance: no more probes however long it takes to restart.
  sched.advance(60s);
  EXPECT_EQ(runner.started.size(), 3u);
  start_instance(h, "c2");
  EXPECT_EQ(mgr->result(h, ProbeKind::liveness), std::nullopt);  // not seen by the worker yet
  runner.fallback = outcome(Result::success);
  sched.advance(10s);
  EXPECT_EQ(runner.started.size(), 4u);
  EXPECT_EQ(mgr->result(h, ProbeKind::liveness), Verdict::success);
}

TEST_F(ProbeManagerTest, ErrorsAreRetriedThreeTimesThenDiscarded) {
  auto h = add({std::nullopt, probe(10, 1, 1), std::nullopt});
  runner.fallback = outcome(Result::unknown, "port \"web\" not found", /*error=*/true);
  start_instance(h, "c1");
  sched.advance(1s);
  EXPECT_EQ(runner.started.size(), 3u);
  EXPECT_EQ(rec.events,
            (std::vector<std::string>{
                "Unhealthy: Readiness probe errored and resulted in unknown state: port \"web\" not found"}));
  EXPECT_FALSE(mgr->ready(h));  // the initial Failure stays: nothing counted
  EXPECT_EQ(mgr->metrics_text().find("prober_probe_total{"), std::string::npos);
  // An error then a success within one run: the success counts.
  runner.script = {outcome(Result::unknown, "x", true), outcome(Result::success, "ok")};
  sched.advance(10s);
  EXPECT_EQ(runner.started.size(), 5u);
  EXPECT_TRUE(mgr->ready(h));
}

TEST_F(ProbeManagerTest, StartupGatesLivenessAndReadinessAndTriggersReadiness) {
  auto h = add({probe(10, 1, 3, 0, "/live"), probe(10, 1, 3, 0, "/ready"), probe(1, 1, 30, 0, "/started")});
  runner.script = {outcome(Result::failure, "refused"), outcome(Result::failure, "refused")};
  TimePoint t = sched.now();
  start_instance(h, "c1");
  EXPECT_FALSE(mgr->started(h));
  sched.advance(2500ms);  // startup at 1 s and 2 s fail (the run at 0 saw no container)
  EXPECT_FALSE(mgr->started(h));
  ASSERT_EQ(runner.started.size(), 2u);
  sched.advance(1s);  // startup at 3 s succeeds: started; readiness runs at once
  EXPECT_TRUE(mgr->started(h));
  ASSERT_EQ(runner.started.size(), 4u);
  EXPECT_EQ(start_times(t)[2], 3);
  EXPECT_NEAR(start_times(t)[3], 3.01, 1e-9);  // readiness, triggered when startup's Success landed
  EXPECT_TRUE(mgr->ready(h));
  // The startup probe is done for this instance; liveness runs on its own ticks from now on.
  sched.advance(20s);
  size_t startup_runs = 0;
  for (const auto& s : runner.started) startup_runs += std::get<HttpGetAction>(s.handler).path == "/started";
  EXPECT_EQ(startup_runs, 3u);
  EXPECT_EQ(std::get<HttpGetAction>(runner.started[3].handler).path, "/ready");
  // The first result published is startup's initial Unknown, when its tick first saw the instance.
  EXPECT_EQ(rec.changes.front().kind, ProbeKind::startup);
}

TEST_F(ProbeManagerTest, StartupFailureIsAKillDecision) {
  auto h = add({probe(10), std::nullopt, probe(1, 1, 3)});
  runner.fallback = outcome(Result::failure, "connection refused");
  start_instance(h, "c1");
  sched.advance(4s);
  ASSERT_FALSE(rec.changes.empty());
  EXPECT_EQ(rec.changes.back().kind, ProbeKind::startup);
  EXPECT_EQ(rec.changes.back().verdict, Verdict::failure);
  EXPECT_TRUE(rec.changes.back().from_probe);
  EXPECT_FALSE(mgr->started(h));
  // Liveness never ran: startup never passed.
  for (const auto& s : runner.started)
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(s.timeout), 1s);
  EXPECT_EQ(runner.started.size(), 3u);
}

TEST_F(ProbeManagerTest, WarningIsSuccessWithAProbeWarningEvent) {
  auto h = add({std::nullopt, probe(10, 1, 1), std::nullopt});
  runner.fallback = outcome(Result::warning, "Probe terminated redirects, Response body: moved");
  start_instance(h, "c1");
  sched.advance(1s);
  EXPECT_TRUE(mgr->ready(h));
  EXPECT_EQ(rec.events, (std::vector<std::string>{
                            "ProbeWarning: Readiness probe warning: Probe terminated redirects, Response "
                            "body: moved"}));
}

TEST_F(ProbeManagerTest, ASlowProbeKeepsOneTickPending) {
  auto h = add({probe(1, 1, 3), std::nullopt, std::nullopt});
  start_instance(h, "c1");
  runner.latency = 2500ms;  // longer than two periods
  TimePoint t = sched.now();
  sched.advance(5900ms);
  // Runs at 1; ticks at 2 and 3 arrive while busy (one kept); it ends at 3.5 and the kept tick runs at
  // once.
  EXPECT_EQ(start_times(t), (std::vector<double>{1, 3.5}));
}

TEST_F(ProbeManagerTest, JitterAfterTheProberStarts) {
  FakeScheduler s;
  FakeRunner r(s);
  ProbeManagerOptions o;
  o.random = [] { return 0.25; };
  o.timer_slack = 0ms;
  ProbeManager m(s, r, {}, o);
  auto h =
      m.add({"ns", "p", "u", "c"}, {"10.0.0.9", {}, {}, nullptr}, {probe(8), std::nullopt, std::nullopt});
  m.set_container(h, {"c1", ContainerState::Phase::running, s.now()});
  TimePoint t = s.now();
  s.advance(1900ms);
  EXPECT_TRUE(r.started.empty());
  s.advance(200ms);  // 0.25 x 8 s = 2 s
  ASSERT_EQ(r.started.size(), 1u);
  EXPECT_EQ(std::chrono::duration<double>(r.started[0].at - t).count(), 2);
  s.advance(8s);
  EXPECT_EQ(r.started.size(), 2u);
}

TEST_F(ProbeManagerTest, NotRunningIsNotReadyAndRestartResetsResults) {
  auto h = add({std::nullopt, probe(10, 1, 3), std::nullopt});
  start_instance(h, "c1");
  sched.advance(1s);
  EXPECT_TRUE(mgr->ready(h));
  mgr->set_container(h, {"c1", ContainerState::Phase::terminated, {}});
  EXPECT_FALSE(mgr->ready(h));
  EXPECT_FALSE(mgr->started(h));
  start_instance(h, "c2");
  EXPECT_FALSE(mgr->ready(h));  // a new instance starts unready
  sched.advance(1s);
  EXPECT_TRUE(mgr->ready(h));
}

TEST_F(ProbeManagerTest, DeletingStopsLivenessButNotReadiness) {
  auto h = add({probe(10), probe(10), std::nullopt});
  start_instance(h, "c1");
  sched.advance(11s);
  size_t before = runner.started.size();
  PodState deleting;
  deleting.deleting = true;
  mgr->set_pod(h, deleting);
  sched.advance(30s);
  // Only readiness goes on: three more runs in 30 s.
  EXPECT_EQ(runner.started.size(), before + 3);
  EXPECT_EQ(mgr->result(h, ProbeKind::liveness), std::nullopt);
}

TEST_F(ProbeManagerTest, RemoveCancelsTheRunningActionAndForgetsEverything) {
  auto h = add({probe(10), probe(10), probe(1)});
  runner.latency = 5s;
  start_instance(h, "c1");
  sched.advance(1500ms);
  EXPECT_EQ(runner.live(), 1);  // startup is out
  mgr->remove(h);
  EXPECT_EQ(runner.live(), 0);
  EXPECT_EQ(sched.pending(), 0u);
  EXPECT_EQ(mgr->containers(), 0u);
  EXPECT_EQ(mgr->metrics_text().find("uid-1"), std::string::npos);
  sched.advance(1min);
  EXPECT_EQ(runner.started.size(), 1u);
}

TEST_F(ProbeManagerTest, CallbacksMayRemoveTheContainer) {
  ProbeManager::Handle h = 0;
  ProbeCallbacks cb;
  cb.result_changed = [&](const ContainerRef&, const ProbeChange& c) {
    if (c.from_probe) mgr->remove(h);
  };
  ProbeManagerOptions exact;
  exact.timer_slack = 0ms;
  mgr = std::make_unique<ProbeManager>(sched, runner, cb, exact);
  h = add({probe(1, 1, 1), std::nullopt, std::nullopt});
  runner.fallback = outcome(Result::failure, "down");
  start_instance(h, "c1");
  sched.advance(3s);
  EXPECT_EQ(mgr->containers(), 0u);
  EXPECT_EQ(runner.live(), 0);
}

TEST_F(ProbeManagerTest, HistoryIsBoundedAndMetricsAreTheKubelets) {
  auto h = add({probe(1, 1, 1000), std::nullopt, std::nullopt});
  start_instance(h, "c1");
  runner.script = {outcome(Result::failure, std::string(5000, 'x'))};
  sched.advance(30050ms);  // ticks at 1..30 s, each answered 10 ms later
  auto hist = mgr->history(h, ProbeKind::liveness);
  ASSERT_EQ(hist.size(), 10u);
  EXPECT_EQ(hist.back().result, Result::success);
  auto all_failed = mgr->metrics_text();
  EXPECT_NE(all_failed.find("prober_probe_total{container=\"web\",namespace=\"default\",pod=\"web-1\","
                            "pod_uid=\"uid-1\",probe_type=\"Liveness\",result=\"failed\"} 1\n"),
            std::string::npos)
      << all_failed;
  EXPECT_NE(all_failed.find("result=\"successful\"} 29\n"), std::string::npos) << all_failed;
  EXPECT_NE(all_failed.find("prober_probe_duration_seconds_count{container=\"web\",namespace=\"default\","
                            "pod=\"web-1\",probe_type=\"Liveness\"} 29\n"),
            std::string::npos);
  // 10 ms each: every bucket from 0.01 up holds them all.
  EXPECT_NE(all_failed.find("probe_type=\"Liveness\",le=\"0.005\"} 0\n"), std::string::npos);
  EXPECT_NE(all_failed.find("probe_type=\"Liveness\",le=\"0.01\"} 29\n"), std::string::npos);
  EXPECT_NE(all_failed.find("le=\"+Inf\"} 29\n"), std::string::npos);
}

TEST_F(ProbeManagerTest, MessagesAreMadeValidUtf8AndCapped) {
  auto h = add({std::nullopt, probe(10, 1, 1), std::nullopt});
  runner.fallback = outcome(Result::failure, "bad \xff\xfe bytes");
  start_instance(h, "c1");
  sched.advance(1s);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], "Unhealthy: Readiness probe failed: bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
  EXPECT_EQ(mgr->history(h, ProbeKind::readiness).back().message, "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
}

}  // namespace
}  // namespace skiff::probes

namespace skiff::probes {
namespace {

TEST(ProbeManagerSlack, TimersFireOnTheGridAndTicksKeepTheirPhase) {
  using namespace std::chrono_literals;
  test::FakeScheduler s;
  test::FakeRunner r(s);
  s.advance(1h);
  ProbeManagerOptions o;
  o.timer_slack = 20ms;
  ProbeManager m(s, r, {}, o);
  s.advance(1h + 7ms);  // long after the start (no jitter), off the grid
  ProbeSpec spec;
  spec.handler = TcpSocketAction{PortRef::of(80), ""};
  spec.period_seconds = 1;
  auto h = m.add({"ns", "p", "u", "c"}, {"10.0.0.9", {}, {}, nullptr}, {spec, std::nullopt, std::nullopt});
  TimePoint t = s.now();
  m.set_container(h, {"c1", ContainerState::Phase::running, t});
  s.advance(10500ms);
  ASSERT_EQ(r.started.size(),
            11u);  // the first run (on the grid: the container is there by then), then 10 ticks
  for (size_t i = 1; i < r.started.size(); ++i) {
    auto since = r.started[i].at.time_since_epoch();
    EXPECT_EQ(since % std::chrono::milliseconds(20), Clock::duration(0)) << i;
    // 1 s apart (ticks keep the phase; the grid only delays each firing by < 20 ms).
    EXPECT_EQ(r.started[i].at - r.started[i - 1].at, std::chrono::seconds(1)) << i;
  }
}

}  // namespace
}  // namespace skiff::probes
