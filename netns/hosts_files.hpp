// Per-container /etc/hosts and /etc/resolv.conf, kept under the state dir for the runtime to
// bind-mount: <state>/<network>/containers/<id>/{hosts,resolv.conf}. The hosts file lists the
// container's own name and those of every other container on the network, so they reach each other by
// name without a DNS server; it is rewritten for every container when one comes or goes.
#pragma once

#include <string>
#include <vector>

#include "ipam.hpp"
#include "network_config.hpp"

namespace skiff::net {

std::string render_hosts(const NetworkConfig& net, const std::vector<Allocation>& members);
// `host_resolv` is the text of the host's resolv.conf (used when the network names no servers).
std::string render_resolv_conf(const NetworkConfig& net, const std::string& host_resolv);
// The host's resolv.conf text: /etc/resolv.conf, or systemd-resolved's upstream list when the former
// only names a loopback stub, which a container cannot reach.
std::string read_host_resolv_conf();

// Replaces a file's content, keeping its inode when it exists: the runtime bind-mounts these files, and
// a rename would leave the container reading the old inode forever. A new file is written atomically.
// Unchanged content is not rewritten.
void update_bind_mounted_file(const std::string& path, const std::string& content);

}  // namespace skiff::net
