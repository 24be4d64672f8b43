// tcpSocket as the kubelet runs it (pkg/probe/tcp): a connect within the timeout is success, even if
// the peer closes at once; anything else is failure with Go's dial error.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "event_loop.hpp"
#include "probe_runner.hpp"

namespace skiff::probes {

class Resolver;

std::unique_ptr<ProbeOperation> start_tcp_connect(EventLoop& loop, Resolver& resolver,
                                                  const std::string& host, int port,
                                                  std::chrono::milliseconds timeout, ProbeDone done);

}  // namespace skiff::probes
