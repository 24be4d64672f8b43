#include "mechanisms.hpp"

#include "error.hpp"
#include "grpc_probe.hpp"
#include "http_probe.hpp"
#include "loop_op.hpp"
#include "tcp_probe.hpp"

namespace skiff::probes {
namespace {

// An answer known at once (an unresolvable port, a missing exec runner), delivered from the loop.
class ImmediateOp final : public LoopOperation {
 public:
  ImmediateOp(EventLoop& loop, ProbeDone done)
      : LoopOperation(loop, std::move(done), std::chrono::milliseconds(0)) {}
  void begin(Result r, std::string message, bool is_error) {
    finish(r, std::move(message), is_error);
    started();
  }

 private:
  void on_io(uint32_t) override {}
  void on_timeout() override {}
};

// sleep: a timer, nothing else.
class SleepOp final : public LoopOperation {
 public:
  SleepOp(EventLoop& loop, std::chrono::milliseconds d, ProbeDone done)
      : LoopOperation(loop, std::move(done), d) {}
  void begin() {
    if (timeout_.count() > 0) {
      arm();
    } else {
      finish(Result::success, "");
    }
    started();
  }

 private:
  void on_io(uint32_t) override {}
  void on_timeout() override { finish(Result::success, ""); }
};

std::unique_ptr<ProbeOperation> immediate(EventLoop& loop, Result r, std::string message, bool is_error,
                                          ProbeDone done) {
  auto op = std::make_unique<ImmediateOp>(loop, std::move(done));
  op->begin(r, std::move(message), is_error);
  return op;
}

}  // namespace

std::unique_ptr<ProbeOperation> Mechanisms::start(const ProbeHandler& handler, const ProbeTarget& target,
                                                  std::chrono::milliseconds timeout, ProbeDone done) {
  try {
    if (const auto* e = std::get_if<ExecAction>(&handler)) {
      if (!target.exec)
        return immediate(loop_, Result::unknown, "no exec runner for this container", true, std::move(done));
      return start_exec(loop_, reaper_, *target.exec, expand_command(e->command, target.env), timeout,
                        std::move(done));
    }
    if (const auto* h = std::get_if<HttpGetAction>(&handler)) {
      int port = resolve_port(h->port, target.ports);
      return start_http_get(loop_, resolver_, probe_request(*h, target.pod_ip, port), timeout,
                            std::move(done));
    }
    if (const auto* t = std::get_if<TcpSocketAction>(&handler)) {
      int port = resolve_port(t->port, target.ports);
      return start_tcp_connect(loop_, resolver_, t->host.empty() ? target.pod_ip : t->host, port, timeout,
                               std::move(done));
    }
    const auto& g = std::get<GrpcAction>(handler);
    return start_grpc_check(loop_, resolver_, target.pod_ip, g.port, g.service, timeout, std::move(done));
  } catch (const Error& e) {
    // prober.runProbe: a port that does not resolve is Unknown with an error (retried, then discarded).
    return immediate(loop_, Result::unknown, e.what(), true, std::move(done));
  }
}

std::unique_ptr<ProbeOperation> Mechanisms::start_hook(const LifecycleHandler& handler,
                                                       const ProbeTarget& target,
                                                       std::chrono::milliseconds timeout, ProbeDone done) {
  try {
    if (const auto* e = std::get_if<ExecAction>(&handler)) {
      if (!target.exec)
        return immediate(loop_, Result::unknown, "no exec runner for this container", true, std::move(done));
      // The kubelet runs a hook's command as written: no $(VAR) expansion.
      return start_exec(loop_, reaper_, *target.exec, e->command, timeout, std::move(done));
    }
    if (const auto* h = std::get_if<HttpGetAction>(&handler)) {
      int port = resolve_port(h->port, target.ports);
      HttpGetRequest req = probe_request(*h, target.pod_ip, port);
      req.purpose = "lifecycle";
      req.follow_other_hosts = true;
      req.any_response_succeeds = true;
      return start_http_get(loop_, resolver_, std::move(req), timeout, std::move(done));
    }
    if (const auto* s = std::get_if<SleepAction>(&handler)) {
      auto op = std::make_unique<SleepOp>(loop_, std::chrono::seconds(s->seconds), std::move(done));
      op->begin();
      return op;
    }
    // tcpSocket: accepted by the API for compatibility, refused by the kubelet when it runs.
    return immediate(loop_, Result::failure, "Cannot run handler: invalid handler: tcpSocket", false,
                     std::move(done));
  } catch (const Error& e) {
    return immediate(loop_, Result::unknown, e.what(), true, std::move(done));
  }
}

}  // namespace skiff::probes
