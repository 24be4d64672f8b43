#include "tcp_probe.hpp"

#include "connector.hpp"
#include "loop_op.hpp"

namespace skiff::probes {
namespace {

class TcpConnectOp final : public LoopOperation {
 public:
  TcpConnectOp(EventLoop& loop, Resolver& resolver, std::chrono::milliseconds timeout, ProbeDone done)
      : LoopOperation(loop, std::move(done), timeout), connector_(loop, resolver) {}

  void begin(const std::string& host, int port) {
    arm();
    connector_.start(host, port, [this](UniqueFd fd, std::string err) {
      // Connected is all it takes; the socket closes at once.
      if (!fd) return finish(Result::failure, err);
      finish(Result::success, "");
    });
    started();
  }

 private:
  void on_io(uint32_t) override {}
  void on_timeout() override { finish(Result::failure, dial_timeout(connector_.address())); }

  Connector connector_;
};

}  // namespace

std::unique_ptr<ProbeOperation> start_tcp_connect(EventLoop& loop, Resolver& resolver,
                                                  const std::string& host, int port,
                                                  std::chrono::milliseconds timeout, ProbeDone done) {
  auto op = std::make_unique<TcpConnectOp>(loop, resolver, timeout, std::move(done));
  op->begin(host, port);
  return op;
}

}  // namespace skiff::probes
