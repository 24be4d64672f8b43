// An exclusive flock(2) on a lock file, held for the owner's lifetime. Every change to the network
// state (IPAM, links, nft table) happens under it, so two processes attaching at once are serialised
// and never see each other's half-done work. The kernel drops the lock when its holder dies, even by
// kill -9; what such a holder left half-done is recorded in IPAM as "pending" and cleaned by the next.
#pragma once

#include <string>

#include "unique_fd.hpp"

namespace skiff::net {

class FileLock {
 public:
  explicit FileLock(const std::string& path);

 private:
  UniqueFd fd_;
};

}  // namespace skiff::net
