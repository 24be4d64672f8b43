// What NetworkStore's implementation files share: one network as loaded under the lock.
#pragma once

#include "ipam.hpp"
#include "network_store.hpp"

namespace skiff::net {

struct NetworkStore::Loaded {
  NetworkConfig config;
  Ipam ipam;
  bool dirty_hosts = false;  // members changed: rewrite every member's hosts file
};

std::string ipam_path(const std::string& net_dir);
void validate_container_id(const std::string& id);

}  // namespace skiff::net
