// tcpSocket and grpc against real servers in a pod namespace: a TCP listener, a real gRPC health
// server built from grpc++ (serving, not serving, unknown service, no health service), and servers
// that are not gRPC at all.
#include <gtest/gtest.h>

#include "grpc_probe.hpp"
#include "mechanisms.hpp"
#include "pod_net.hpp"
#include "test_http_server.hpp"

#ifndef SKIFF_GRPC_HEALTH_SERVER
#error "SKIFF_GRPC_HEALTH_SERVER must name the test gRPC server"
#endif

namespace skiff::probes::test {
namespace {

using namespace std::chrono_literals;

class NetProbeTest : public PodNetTest {
 protected:
  void SetUp() override {
    PodNetTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    mech_ = std::make_unique<Mechanisms>(loop_);
  }
  void TearDown() override {
    mech_.reset();
    PodNetTest::TearDown();
  }
  ProbeOutcome run(const ProbeHandler& h, std::chrono::milliseconds timeout = 1s) {
    std::optional<ProbeOutcome> out;
    auto op =
        mech_->start(h, ProbeTarget{kPodIp, {}, {}, nullptr}, timeout, [&](ProbeOutcome o) { out = o; });
    return wait_outcome(out);
  }
  // A real grpc++ health server in the pod, on a port it chose.
  std::unique_ptr<ChildProcess> grpc_server(bool health, int& port) {
    std::vector<std::string> argv = {SKIFF_GRPC_HEALTH_SERVER, "--listen", kPodIp + ":0"};
    if (!health) argv.push_back("--no-health");
    auto child = std::make_unique<ChildProcess>(pod_netns(), argv);
    std::string line = child->read_line();
    EXPECT_EQ(line.rfind("ready ", 0), 0u) << "the gRPC server did not start: " << line;
    port = line.size() > 6 ? std::stoi(line.substr(6)) : 0;
    return child;
  }
  std::unique_ptr<Mechanisms> mech_;
};

TEST_F(NetProbeTest, TcpConnectIsSuccessEvenIfThePeerClosesAtOnce) {
  uint16_t port = 0;
  auto l = pod_listener(port);
  auto o = run(TcpSocketAction{PortRef::of(port), ""});
  EXPECT_EQ(o.result, Result::success) << o.message;
  EXPECT_EQ(o.message, "");
}

TEST_F(NetProbeTest, TcpRefusedAndUnreachable) {
  uint16_t port = 0;
  { auto closed = pod_listener(port); }
  size_t fds = open_fds();
  auto o = run(TcpSocketAction{PortRef::of(port), ""});
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_EQ(o.message, "dial tcp " + kPodIp + ":" + std::to_string(port) + ": connect: connection refused");
  // An address on the pod's link nobody has: no answer at all, the timeout ends it.
  o = run(TcpSocketAction{PortRef::of(80), "10.77.0.99"});
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_TRUE(o.message == "dial tcp 10.77.0.99:80: i/o timeout" ||
              o.message == "dial tcp 10.77.0.99:80: connect: no route to host")
      << o.message;
  EXPECT_LT(o.duration, 4s);
  EXPECT_EQ(open_fds(), fds);
}

TEST_F(NetProbeTest, GrpcServingNotServingAndUnknownService) {
  int port = 0;
  auto server = grpc_server(true, port);
  ASSERT_GT(port, 0);
  auto o = run(GrpcAction{port, ""}, 3s);
  EXPECT_EQ(o.result, Result::success) << o.message;
  EXPECT_EQ(o.message, "service healthy");
  server->write_line("set shop NOT_SERVING");
  ASSERT_EQ(server->read_line(), "ok");
  o = run(GrpcAction{port, "shop"}, 3s);
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_EQ(o.message, "service unhealthy (responded with \"NOT_SERVING\")");
  server->write_line("set shop SERVING");
  ASSERT_EQ(server->read_line(), "ok");
  EXPECT_EQ(run(GrpcAction{port, "shop"}, 3s).result, Result::success);
  o = run(GrpcAction{port, "unheard-of"}, 3s);
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_EQ(
      o.message,
      "error: health rpc probe failed: rpc error: code = NotFound desc = service name unknown");  // grpc++'s
                                                                                                  // wording
}

TEST_F(NetProbeTest, GrpcWithoutTheHealthServiceIsUnimplemented) {
  int port = 0;
  auto server = grpc_server(false, port);
  ASSERT_GT(port, 0);
  auto o = run(GrpcAction{port, ""}, 3s);
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_EQ(o.message.rfind("error: this server does not implement the grpc health protocol "
                            "(grpc.health.v1.Health): ",
                            0),
            0u)
      << o.message;
}

TEST_F(NetProbeTest, GrpcAgainstServersThatAreNotGrpc) {
  uint16_t port = 0;
  TestHttpServer http(pod_listener(port));
  http.on("/", TestHttpServer::reply(200, "hello"));
  size_t fds = open_fds();
  auto o = run(GrpcAction{port, ""});
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_EQ(o.message.rfind("error: health rpc probe failed: rpc error: code = ", 0), 0u) << o.message;
  // A server that accepts and says nothing: the deadline ends the call.
  uint16_t quiet_port = 0;
  auto quiet = pod_listener(quiet_port);
  o = run(GrpcAction{quiet_port, ""});
  EXPECT_EQ(o.result, Result::failure);
  EXPECT_EQ(o.message, "timeout: health rpc did not complete within 1s");
  // Nobody listening.
  uint16_t closed_port = 0;
  { auto closed = pod_listener(closed_port); }
  o = run(GrpcAction{closed_port, ""});
  EXPECT_EQ(o.message, "error: failed to connect service at \"" + kPodIp + ":" + std::to_string(closed_port) +
                           "\": dial tcp " + kPodIp + ":" + std::to_string(closed_port) +
                           ": connect: connection refused");
  EXPECT_EQ(open_fds(), fds + 1);  // the quiet listener
}

TEST_F(NetProbeTest, GrpcMessagesEncodeAsProtobuf) {
  EXPECT_EQ(encode_health_request(""), "");
  EXPECT_EQ(encode_health_request("shop"), std::string("\x0a\x04shop", 6));
  EXPECT_EQ(decode_health_response(std::string("\x08\x01", 2)), 1);
  EXPECT_EQ(decode_health_response(""), 0);
  EXPECT_EQ(decode_health_response(std::string("\x12\x02xy\x08\x02", 6)), 2);  // unknown field skipped
  EXPECT_EQ(decode_health_response(std::string("\x08", 1)), std::nullopt);
  EXPECT_EQ(go_seconds(1), "1s");
  EXPECT_EQ(go_seconds(90), "1m30s");
  EXPECT_EQ(go_seconds(3600), "1h0m0s");
}

}  // namespace
}  // namespace skiff::probes::test
