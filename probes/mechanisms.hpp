// The real ProbeRunner: a probe's handler run against its target on the event loop (httpGet, tcpSocket,
// grpc, exec), and the same mechanisms for lifecycle hooks (postStart/preStop: exec, httpGet, sleep).
// One resolver thread for host names and one reaper for killed exec processes, shared by all.
#pragma once

#include <chrono>
#include <memory>

#include "event_loop.hpp"
#include "exec_probe.hpp"
#include "probe_runner.hpp"
#include "resolver.hpp"

namespace skiff::probes {

class Mechanisms : public ProbeRunner {
 public:
  explicit Mechanisms(EventLoop& loop) : loop_(loop), resolver_(loop), reaper_(loop) {}

  // A probe action, as prober.runProbe: named ports resolved against the target's (an error when they
  // do not resolve), hosts defaulting to the pod IP, exec commands expanded from the static env.
  std::unique_ptr<ProbeOperation> start(const ProbeHandler& handler, const ProbeTarget& target,
                                        std::chrono::milliseconds timeout, ProbeDone done) override;

  // A lifecycle hook as the kubelet's handler runner: exec; httpGet with User-Agent kube-lifecycle and
  // redirects to any host followed; sleep; tcpSocket fails as it does on a kubelet. `timeout` 0 means
  // none (the caller bounds a hook by the grace period, and destroys the operation at its end).
  std::unique_ptr<ProbeOperation> start_hook(const LifecycleHandler& handler, const ProbeTarget& target,
                                             std::chrono::milliseconds timeout, ProbeDone done);

  size_t exec_processes_being_reaped() const { return reaper_.pending(); }

 private:
  EventLoop& loop_;
  Resolver resolver_;
  ExecReaper reaper_;
};

}  // namespace skiff::probes
