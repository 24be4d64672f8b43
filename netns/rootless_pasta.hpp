// Rootless networking through pasta (Debian `passt`): when the caller is not root there is no bridge,
// veth or nftables; pasta joins the container's user + network namespace, gives it a tap interface
// configured like the host's default-route interface (--config-net, IPv4), carries its outbound
// traffic through the host's sockets (the gateway address maps to the host's loopback) and forwards
// published ports (-t/-u) from the host into the namespace. One pasta per container, daemonized, its
// pid in STATE_DIR/pasta/ID.pid; detach kills exactly that pid and removes the file.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "ports.hpp"

namespace skiff::net {

struct PastaRequest {
  std::string state_dir;     // the caller's network state dir (the pid file goes under it)
  std::string container_id;  // names the pid file
  pid_t pid = 0;             // a process in the container's user + network namespace
  std::vector<PortMapping> ports;
  std::string pasta = "pasta";  // the binary (searched in PATH without a '/')
};

struct PastaAttachment {
  pid_t pasta_pid = 0;
  std::string pid_file;
};

// STATE_DIR/pasta/ID.pid
std::string pasta_pid_file(const std::string& state_dir, const std::string& container_id);
// pasta's command line for `r` (without argv[0]).
std::vector<std::string> pasta_args(const PastaRequest& r, const std::string& pid_file);

// Starts pasta for r.pid's namespaces and returns once it is serving (pasta daemonizes only after
// its set-up). A missing pasta, a port in use, an id attached already, or pasta failing (its stderr
// line) is one Error; nothing is left behind then.
PastaAttachment pasta_attach(const PastaRequest& r);
// Kills the container's pasta (that pid only, and only if it is a pasta of this user) and removes its
// pid file. False if the container has no pid file.
bool pasta_detach(const std::string& state_dir, const std::string& container_id);

}  // namespace skiff::net
