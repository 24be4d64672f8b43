// httpGet against real servers in a pod namespace: what the kubelet sends and how it reads answers,
// redirects, HTTPS, and the hostile servers (refused, garbage, an endless header, a body without end,
// slowloris, a stalled body), each answered within the timeout and leaving no fd behind.
#include <gtest/gtest.h>

#include "mechanisms.hpp"
#include "pod_net.hpp"
#include "test_http_server.hpp"

namespace skiff::probes::test {
namespace {

using namespace std::chrono_literals;

class HttpProbeTest : public PodNetTest {
 protected:
  void SetUp() override {
    PodNetTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    fds_ = open_fds();
    mech_ = std::make_unique<Mechanisms>(loop_);
  }
  void TearDown() override {
    mech_.reset();
    PodNetTest::TearDown();
  }

  std::unique_ptr<TestHttpServer> server(bool tls = false) {
    port_ = 0;
    auto s = std::make_unique<TestHttpServer>(pod_listener(port_), tls);
    return s;
  }

  ProbeOutcome probe(HttpGetAction a, std::chrono::milliseconds timeout = 1s, ProbeTarget t = {}) {
    if (t.pod_ip.empty()) t.pod_ip = kPodIp;
    std::optional<ProbeOutcome> out;
    auto op = mech_->start(a, t, timeout, [&](ProbeOutcome o) { out = std::move(o); });
    auto o = wait_outcome(out);
    op.reset();
    return o;
  }
  HttpGetAction get(const std::string& path, int port = 0) {
    HttpGetAction a;
    a.path = path;
    a.port = PortRef::of(port ? port : port_);
    return a;
  }
  std::string url(const std::string& path) const {
    return "http://" + kPodIp + ":" + std::to_string(port_) + path;
  }
  // Every connection the prober opened is closed (the server's view), and our fds are back.
  void expect_nothing_left(TestHttpServer& s) {
    EXPECT_TRUE(run_until([&] { return s.open_connections() == 0; }, 5s)) << "the server still serves us";
    EXPECT_EQ(open_fds(), fds_ + 2) << "fds leaked (the listener's and the server's wake-up fd excepted)";
  }

  uint16_t port_ = 0;
  size_t fds_ = 0;
  std::unique_ptr<Mechanisms> mech_;
};

TEST_F(HttpProbeTest, SuccessAndTheRequestTheKubeletSends) {
  auto s = server();
  s->on("/healthz", TestHttpServer::reply(200, "ok"));
  auto a = get("/healthz?full=1");
  a.headers = {{"X-Custom", "1"}, {"x-custom", "2"}, {"Accept", "application/json"}};
  auto o = probe(a);
  EXPECT_EQ(o.result, Result::success) << o.message;
  EXPECT_EQ(o.message, "ok");
  EXPECT_FALSE(o.is_error);
  auto seen = s->requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].request_line, "GET /healthz?full=1 HTTP/1.1");
  EXPECT_EQ(seen[0].header("Host"), kPodIp + ":" + std::to_string(port_));
  EXPECT_EQ(seen[0].header("User-Agent"), "kube-probe/1.31");
  EXPECT_EQ(seen[0].header("Accept"), "application/json");
  EXPECT_EQ(seen[0].header("Connection"), "close");
  std::vector<std::string> custom;
  for (const auto& [k, v] : seen[0].headers)
    if (k == "X-Custom") custom.push_back(v);
  EXPECT_EQ(custom, (std::vector<std::string>{"1", "2"}));  // canonical name, both values, in order
  expect_nothing_left(*s);
}

TEST_F(HttpProbeTest, DefaultAcceptHostOverrideAndEmptyAcceptRemoved) {
  auto s = server();
  s->on("/", TestHttpServer::reply(204));
  auto a = get("/");
  a.headers = {{"Host", "shop.example"}, {"User-Agent", "mine/1"}};
  EXPECT_EQ(probe(a).result, Result::success);
  auto b = get("/");
  b.headers = {{"Accept", ""}};
  EXPECT_EQ(probe(b).result, Result::success);
  auto seen = s->requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].header("Host"), "shop.example");
  EXPECT_EQ(seen[0].header("User-Agent"), "mine/1");
  EXPECT_EQ(seen[0].header("Accept"), "*/*");
  bool accept = false;
  for (const auto& [k, v] : seen[1].headers) accept = accept || k == "Accept";
  EXPECT_FALSE(accept);
}

TEST_F(HttpProbeTest, StatusCodes) {
  auto s = server();
  s->on("/500", TestHttpServer::reply(500, "boom, with a body nobody reads"));
  s->on("/399", TestHttpServer::reply(399, "odd"));
  s->on("/199", TestHttpServer::reply(199));
  auto o = probe(get("/500"));
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_EQ(o.message, "HTTP probe failed with statuscode: 500");
  o = probe(get("/399"));
  EXPECT_EQ(o.result, Result::warning);
  EXPECT_EQ(o.message, "Probe terminated redirects, Response body: odd");
  o = probe(get("/nowhere"));
  EXPECT_EQ(o.message, "HTTP probe failed with statuscode: 404");
}

TEST_F(HttpProbeTest, RedirectsOnTheSameHostAreFollowed) {
  auto s = server();
  s->on("/a", TestHttpServer::reply(302, "", {{"Location", "/b"}}));
  s->on("/b", TestHttpServer::reply(301, "", {{"Location", "c?x=1"}}));
  s->on("/c", TestHttpServer::reply(200, "arrived"));
  auto o = probe(get("/a"));
  EXPECT_EQ(o.result, Result::success) << o.message;
  EXPECT_EQ(o.message, "arrived");
  auto seen = s->requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].request_line, "GET /c?x=1 HTTP/1.1");
  EXPECT_EQ(seen[2].header("Referer"), url("/b"));
  EXPECT_EQ(s->connections(), 3);  // a new connection each time: no keep-alive
}

TEST_F(HttpProbeTest, RedirectToAnotherHostIsAWarning) {
  auto s = server();
  s->on("/away", TestHttpServer::reply(302, "moved", {{"Location", "http://10.77.0.1:9/elsewhere"}}));
  auto o = probe(get("/away"));
  EXPECT_EQ(o.result, Result::warning);
  EXPECT_EQ(o.message, "Probe terminated redirects, Response body: moved");
  EXPECT_EQ(s->requests().size(), 1u);
}

TEST_F(HttpProbeTest, TenRedirectsAtMost) {
  auto s = server();
  s->on("/loop", TestHttpServer::reply(307, "", {{"Location", "/loop"}}));
  auto o = probe(get("/loop"), 5s);
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_EQ(o.message, "Get \"/loop\": stopped after 10 redirects");
  EXPECT_EQ(s->requests().size(), 10u);
}

TEST_F(HttpProbeTest, RefusedIsAFailureAtOnce) {
  uint16_t port = 0;
  { auto closed = pod_listener(port); }  // a port nobody listens on any more
  auto o = probe(get("/", port));
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_FALSE(o.is_error);
  EXPECT_EQ(o.message, "Get \"http://" + kPodIp + ":" + std::to_string(port) + "/\": dial tcp " + kPodIp +
                           ":" + std::to_string(port) + ": connect: connection refused");
  EXPECT_LT(o.duration, 1s);
  EXPECT_EQ(open_fds(), fds_);
}

TEST_F(HttpProbeTest, SilentServerTimesOutAwaitingHeaders) {
  auto s = server();
  s->on("/", [](Conn& c, const HttpRequestSeen&) { c.pause(10s); });
  auto o = probe(get("/"));
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_FALSE(o.is_error);
  EXPECT_EQ(o.message, "Get \"" + url("/") +
                           "\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
  EXPECT_GE(o.duration, 1s);
  EXPECT_LT(o.duration, 3s);
}

TEST_F(HttpProbeTest, GarbageIsAFailureNamingIt) {
  auto s = server();
  s->on("/", [](Conn& c, const HttpRequestSeen&) { c.send("SSH-2.0-OpenSSH_9.2\r\n"); });
  auto o = probe(get("/"));
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_EQ(o.message, "Get \"" + url("/") +
                           "\": net/http: HTTP/1.x transport connection broken: malformed HTTP response "
                           "\"SSH-2.0-OpenSSH_9.2\"");
  s->on("/", [](Conn&, const HttpRequestSeen&) {});  // closes without a word
  EXPECT_EQ(probe(get("/")).message, "Get \"" + url("/") + "\": EOF");
  expect_nothing_left(*s);
}

TEST_F(HttpProbeTest, EndlessHeaderIsBoundedInMemoryAndTime) {
  auto s = server();
  s->on("/", [](Conn& c, const HttpRequestSeen&) {
    c.send("HTTP/1.1 200 OK\r\nX-Endless: ");
    std::string chunk(64 * 1024, 'a');
    while (c.send(chunk)) {
    }
  });
  auto o = probe(get("/"), 2s);
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_TRUE(o.message.find("server response headers exceeded 10485760 bytes") != std::string::npos ||
              o.message.find("awaiting headers") != std::string::npos)
      << o.message;
  EXPECT_LT(o.duration, 4s);
  expect_nothing_left(*s);
}

TEST_F(HttpProbeTest, EndlessBodyIsReadTo10KiBThenDropped) {
  auto s = server();
  s->on("/", [](Conn& c, const HttpRequestSeen&) {
    c.send("HTTP/1.1 200 OK\r\nContent-Length: 10737418240\r\n\r\n");
    std::string chunk(64 * 1024, 'b');
    while (c.send(chunk)) {
    }
  });
  auto o = probe(get("/"));
  EXPECT_EQ(o.result, Result::success);
  EXPECT_EQ(o.message, std::string(10 * 1024, 'b'));
  expect_nothing_left(*s);
}

TEST_F(HttpProbeTest, SlowlorisTimesOut) {
  auto s = server();
  s->on("/", [](Conn& c, const HttpRequestSeen&) {
    for (char ch : std::string("HTTP/1.1 200 OK\r\nX-Slow: ") + std::string(1000, 'z'))
      if (!c.send(std::string(1, ch)) || !c.pause(100ms)) return;
  });
  auto o = probe(get("/"));
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_NE(o.message.find("Client.Timeout exceeded while awaiting headers"), std::string::npos) << o.message;
  EXPECT_LT(o.duration, 3s);
  expect_nothing_left(*s);
}

TEST_F(HttpProbeTest, StalledBodyIsAnErrorAsOnAKubelet) {
  // ReadAtMost's timeout comes back as an error: the kubelet retries and then discards the run.
  auto s = server();
  s->on("/", [](Conn& c, const HttpRequestSeen&) {
    c.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
    c.pause(10s);
  });
  auto o = probe(get("/"));
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_TRUE(o.is_error);
  EXPECT_EQ(o.message,
            "context deadline exceeded (Client.Timeout or context cancellation while reading body)");
}

TEST_F(HttpProbeTest, HttpsWithoutVerification) {
  auto s = server(/*tls=*/true);
  s->on("/secure", TestHttpServer::reply(200, "tls ok"));
  auto a = get("/secure");
  a.scheme = Scheme::https;
  auto o = probe(a, 3s);
  EXPECT_EQ(o.result, Result::success) << o.message;
  EXPECT_EQ(o.message, "tls ok");
  // HTTPS to a plain server, and plain HTTP to a TLS one: failures.
  auto plain = server();
  plain->on("/", TestHttpServer::reply(200));
  auto b = get("/");
  b.scheme = Scheme::https;
  o = probe(b);
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_EQ(o.message, "Get \"https://" + kPodIp + ":" + std::to_string(port_) +
                           "/\": http: server gave HTTP response to HTTPS client");
}

TEST_F(HttpProbeTest, NamedPortAndMissingName) {
  auto s = server();
  s->on("/", TestHttpServer::reply(200));
  ProbeTarget t;
  t.ports = {{"web", static_cast<int32_t>(port_)}};
  HttpGetAction a;
  a.port = PortRef::named("web");
  EXPECT_EQ(probe(a, 1s, t).result, Result::success);
  a.port = PortRef::named("admin");
  auto o = probe(a, 1s, t);
  EXPECT_TRUE(o.is_error);
  EXPECT_EQ(o.message, "port \"admin\" not found");
}

TEST_F(HttpProbeTest, HostNamesResolveAndBadOnesFail) {
  uint16_t port = 0;
  TestHttpServer local(node_listener(port));
  local.on("/", TestHttpServer::reply(200, "local"));
  auto a = get("/", port);
  a.host = "localhost";  // ::1 may come first and refuse: the next address is tried
  auto o = probe(a);
  EXPECT_EQ(o.result, Result::success) << o.message;
  a.host = "no-such-host.invalid";
  o = probe(a, 3s);
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_NE(o.message.find("dial tcp: lookup no-such-host.invalid"), std::string::npos) << o.message;
}

TEST_F(HttpProbeTest, BadHeaderValueFailsWithoutSending) {
  auto s = server();
  auto a = get("/");
  a.headers = {{"X-Bad", "a\r\nInjected: yes"}};
  auto o = probe(a);
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_EQ(o.message, "Get \"" + url("/") + "\": net/http: invalid header field value for \"X-Bad\"");
  EXPECT_EQ(s->connections(), 0);
}

TEST_F(HttpProbeTest, CancelledProbeClosesEverything) {
  auto s = server();
  s->on("/", [](Conn& c, const HttpRequestSeen&) { c.pause(10s); });
  bool called = false;
  auto op =
      mech_->start(get("/"), ProbeTarget{kPodIp, {}, {}, nullptr}, 5s, [&](ProbeOutcome) { called = true; });
  ASSERT_TRUE(run_until([&] { return s->requests().size() == 1; }));
  op.reset();
  EXPECT_FALSE(called);
  expect_nothing_left(*s);
}

TEST_F(HttpProbeTest, HookAcceptsAnyResponseAndFallsBackToHttp) {
  auto s = server();
  s->on("/stop", TestHttpServer::reply(500));
  HttpGetAction a = get("/stop");
  a.scheme = Scheme::https;
  std::optional<ProbeOutcome> out;
  auto op = mech_->start_hook(a, ProbeTarget{kPodIp, {}, {}, nullptr}, 2s, [&](ProbeOutcome o) { out = o; });
  auto o = wait_outcome(out);
  EXPECT_EQ(o.result, Result::success) << o.message;
  auto seen = s->requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].header("User-Agent"), "kube-lifecycle/1.31");
}

}  // namespace
}  // namespace skiff::probes::test
