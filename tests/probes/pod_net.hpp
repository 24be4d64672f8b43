// The network the probe tests run in: the test's thread moves into a fresh namespace (the "node"), and
// a "pod" namespace hangs off it by a veth, 10.77.0.1 (node) to 10.77.0.2 (pod), as a pod on a
// bridge is reached from the node. Servers listen in the pod; probes run from the node, on an event
// loop of the test's own. Nothing reaches the real host's network.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "event_loop.hpp"
#include "netns_fixture.hpp"
#include "probe_result.hpp"
#include "unique_fd.hpp"

namespace skiff::probes::test {

inline const std::string kPodIp = "10.77.0.2";

class PodNetTest : public net::test::HostNetnsTest {
 protected:
  void SetUp() override;

  // A TCP listener in the pod on kPodIp (port 0: any; the port is returned through `port`).
  UniqueFd pod_listener(uint16_t& port);
  // A listener on the node's loopback (for host names that resolve to 127.0.0.1).
  UniqueFd node_listener(uint16_t& port);
  int pod_netns() const { return pod_.get(); }

  // Runs the loop until pred() holds or `limit` passes (a guard against hangs, not a timing check).
  bool run_until(const std::function<bool()>& pred,
                 std::chrono::milliseconds limit = std::chrono::seconds(10));
  // Runs the loop until `out` has an outcome; the outcome (a failure naming the guard if none came).
  ProbeOutcome wait_outcome(std::optional<ProbeOutcome>& out,
                            std::chrono::milliseconds limit = std::chrono::seconds(10));

  EventLoop loop_;

 private:
  UniqueFd pod_;
};

// A child process started inside network namespace `netns_fd` with pipes on its stdin and stdout;
// killed and reaped on destruction.
class ChildProcess {
 public:
  ChildProcess(int netns_fd, const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // A line from its stdout (without the newline); "" on EOF or after 10 s.
  std::string read_line();
  void write_line(const std::string& line);
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  UniqueFd in_, out_;
  std::string buffered_;
};

// Open fds of this process (for "nothing left behind" checks).
size_t open_fds();

}  // namespace skiff::probes::test
