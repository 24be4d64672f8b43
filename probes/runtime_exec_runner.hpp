// ExecRunner on the runtime library: exec probes and hooks run inside a container that skiff's runtime
// runs (state under `state_root`), through Runtime::exec_process: no skiff-runtime process per probe.
#pragma once

#include <string>

#include "probe_runner.hpp"
#include "unique_fd.hpp"

namespace skiff::probes {

class RuntimeExecRunner : public ExecRunner {
 public:
  RuntimeExecRunner(std::string state_root, std::string container_id);
  // Runs argv with the container's process settings (env, user, cwd, capabilities, seccomp), stdin
  // on /dev/null, in a process group of its own. Throws skiff::Error when it cannot.
  ExecChild start(const std::vector<std::string>& argv, int output_fd) override;

 private:
  std::string root_;
  std::string id_;
  UniqueFd devnull_;
};

}  // namespace skiff::probes
