// IPAM of one network: which address belongs to which container, persisted in
// <state>/<network>/ipam.json with atomic writes. The caller holds the store's lock (FileLock) for the
// whole read-modify-write, so an address is never handed out twice, across threads or processes.
//
// An allocation carries what is needed to undo its attachment without the container: the host veth,
// the namespace identity, the published ports. It is written as `pending` before any kernel object is
// made and turned `ready` when the attachment is complete; a `pending` one seen under the lock belongs
// to an attacher that died (the lock is free only once it is gone) and is reclaimed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ipv4.hpp"
#include "netlink.hpp"
#include "ports.hpp"

namespace skiff::net {

struct Allocation {
  enum class State { pending, ready };
  Ipv4Addr ip{};
  State state = State::pending;
  std::string container_id;
  std::string name;  // the container's host name in the network's hosts files (may be empty)
  std::vector<std::string> aliases;
  std::string host_veth;
  std::string ifname = "eth0";
  Mac mac{};
  // The namespace it was attached to, for `inspect` and for the liveness check.
  std::string netns_path;
  uint64_t netns_dev = 0;
  uint64_t netns_ino = 0;
  pid_t pid = 0;
  std::vector<PortMapping> ports;
};

class Ipam {
 public:
  // Loads `path` (a missing file is an empty IPAM).
  Ipam(std::string path, Ipv4Net subnet, Ipv4Addr gateway);

  const std::vector<Allocation>& allocations() const { return allocs_; }
  const Allocation* find(const std::string& container_id) const;
  bool in_use(Ipv4Addr ip) const;

  // Picks the next free host address after the last one handed out (so a just-released address is not
  // at once given to the next container, whose peers may still have it in their ARP caches), records
  // `a` with it and returns it. Throws ENOSPC when the subnet has no free address. Not saved yet.
  Ipv4Addr allocate(Allocation a);
  void set_state(const std::string& container_id, Allocation::State s);
  bool release(const std::string& container_id);

  void save() const;

 private:
  std::string path_;
  Ipv4Net subnet_;
  Ipv4Addr gateway_;
  Ipv4Addr last_{};
  std::vector<Allocation> allocs_;
};

Mac mac_for(Ipv4Addr ip);

}  // namespace skiff::net
