// exec as the kubelet runs it (pkg/probe/exec through the runtime's ExecSync): the command, $(VAR)
// expanded from the container's env, runs in the container; stdout and stderr together, the first
// 10 KiB kept; exit 0 is success, any other end failure; past the timeout the process group is killed
// and the run is a failure ("command ... timed out"); failing to start is an error. Whatever the command
// forks is killed with it, and every process is reaped: none is left behind.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "event_loop.hpp"
#include "probe_runner.hpp"

namespace skiff::probes {

// kubecontainer.ExpandContainerCommandOnlyStatic: $(NAME) from env (later entries win), $$ for a
// literal $, an unknown or unterminated reference left as written.
std::string expand_env(const std::string& in, const std::map<std::string, std::string>& env);
std::vector<std::string> expand_command(const std::vector<std::string>& command,
                                        const std::vector<std::pair<std::string, std::string>>& env);

// Holds processes that were killed but have not exited yet, and reaps each when it does.
class ExecReaper {
 public:
  explicit ExecReaper(EventLoop& loop) : loop_(loop) {}
  ~ExecReaper();
  ExecReaper(const ExecReaper&) = delete;
  ExecReaper& operator=(const ExecReaper&) = delete;
  // Kills child (SIGKILL, with its process group) and reaps it once it exits.
  void kill_and_reap(ExecChild child);
  size_t pending() const { return children_.size(); }

 private:
  void reaped(int pidfd);
  EventLoop& loop_;
  std::map<int, ExecChild> children_;
};

// Kills the process group led by child and the process itself (SIGKILL).
void kill_group(const ExecChild& child);

std::unique_ptr<ProbeOperation> start_exec(EventLoop& loop, ExecReaper& reaper, ExecRunner& runner,
                                           std::vector<std::string> argv, std::chrono::milliseconds timeout,
                                           ProbeDone done);

}  // namespace skiff::probes
