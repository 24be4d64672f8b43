// The whole prober in real time, as the supervisor will run it: ProbeManager on the event loop with the
// real mechanisms, against a real server in a pod namespace whose health the test flips.
#include <gtest/gtest.h>

#include <atomic>

#include "loop_scheduler.hpp"
#include "mechanisms.hpp"
#include "pod_net.hpp"
#include "probe_manager.hpp"
#include "test_http_server.hpp"

namespace skiff::probes::test {
namespace {

using namespace std::chrono_literals;

class ProberE2eTest : public PodNetTest {};

TEST_F(ProberE2eTest, ReadinessFollowsTheServerAndLivenessDecidesAKill) {
  uint16_t port = 0;
  TestHttpServer server(pod_listener(port));
  std::atomic<int> ready_status{503};
  std::atomic<int> live_status{200};
  server.on("/ready", [&](Conn& c, const HttpRequestSeen& r) { TestHttpServer::reply(ready_status)(c, r); });
  server.on("/live", [&](Conn& c, const HttpRequestSeen& r) { TestHttpServer::reply(live_status)(c, r); });

  LoopScheduler sched(loop_);
  Mechanisms mech(loop_);
  std::vector<std::pair<bool, bool>> statuses;
  std::vector<ProbeChange> changes;
  std::vector<std::string> events;
  ProbeManager mgr(sched, mech,
                   {[&](const ContainerRef&, ProbeKind, const ProbeEvent& e) { events.push_back(e.message); },
                    [&](const ContainerRef&, const ProbeChange& c) { changes.push_back(c); },
                    [&](const ContainerRef&, bool s, bool r) { statuses.emplace_back(s, r); }});
  auto http = [&](const std::string& path, int failure) {
    ProbeSpec s;
    s.handler = HttpGetAction{path, PortRef::named("web"), "", Scheme::http, {}};
    s.period_seconds = 1;
    s.failure_threshold = failure;
    return s;
  };
  ProbeTarget target{kPodIp, {{"web", port}}, {}, nullptr};
  auto h = mgr.add({"default", "web-1", "uid", "web"}, target,
                   {http("/live", 2), http("/ready", 1), std::nullopt});
  mgr.set_container(h, {"c1", ContainerState::Phase::running, loop_.now()});
  EXPECT_TRUE(mgr.started(h));
  // Not ready while the server says 503; ready once it says 200.
  ASSERT_TRUE(run_until([&] { return !events.empty(); }));
  EXPECT_EQ(events[0], "Readiness probe failed: HTTP probe failed with statuscode: 503");
  EXPECT_FALSE(mgr.ready(h));
  ready_status = 200;
  ASSERT_TRUE(run_until([&] { return mgr.ready(h); }, 5s));
  // Liveness fails twice in a row: the kill decision.
  live_status = 500;
  ASSERT_TRUE(run_until(
      [&] {
        return !changes.empty() && changes.back().kind == ProbeKind::liveness && changes.back().from_probe;
      },
      5s));
  EXPECT_EQ(changes.back().verdict, Verdict::failure);
  EXPECT_EQ(changes.back().message, "HTTP probe failed with statuscode: 500");
  auto hist = mgr.history(h, ProbeKind::liveness);
  ASSERT_GE(hist.size(), 2u);
  EXPECT_EQ(hist.back().result, Result::failure);
  EXPECT_NE(mgr.metrics_text().find("probe_type=\"Readiness\",result=\"successful\"}"), std::string::npos);
  mgr.remove(h);
  EXPECT_EQ(loop_.pending_timers(), 0u);
}

}  // namespace
}  // namespace skiff::probes::test
