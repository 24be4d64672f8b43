#include "runtime_exec_runner.hpp"

#include <fcntl.h>

#include "container.hpp"
#include "error.hpp"

namespace skiff::probes {

RuntimeExecRunner::RuntimeExecRunner(std::string state_root, std::string container_id)
    : root_(std::move(state_root)),
      id_(std::move(container_id)),
      devnull_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {
  if (!devnull_) throw Error(errno, "open /dev/null");
}

ExecChild RuntimeExecRunner::start(const std::vector<std::string>& argv, int output_fd) {
  ExecOptions o;
  o.id = id_;
  o.args = argv;
  o.stdio[0] = devnull_.get();
  o.stdio[1] = output_fd;
  o.stdio[2] = output_fd;
  o.new_process_group = true;
  ExecProcess p = Runtime(root_).exec_process(std::move(o));
  return ExecChild{p.pid, std::move(p.pidfd)};
}

}  // namespace skiff::probes
