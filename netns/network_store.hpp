// NetworkStore: skiff's networks on this host, the one entry point the CLI and the supervisor use.
//
// State dir (default /var/lib/skiff/networks, or $SKIFF_NETWORK_STATE_DIR, or the constructor's
// argument):
//   lock                        flock held by every change (FileLock)
//   forwarding.json             uplinks whose forwarding skiff switched on (forwarding.hpp)
//   nft.applied                 the last nft table applied (skip identical re-applies)
//   <network>/network.json      NetworkConfig
//   <network>/ipam.json         allocations (Ipam)
//   <network>/containers/<id>/{hosts,resolv.conf}   for the runtime to bind-mount
//
// Everything in the kernel (bridge, veths, nft table, sysctls) is derived from these files under the
// lock; anything an interrupted operation left is reconciled by the next one. One NetworkStore keeps
// its netlink socket and nftables context open between calls; it is not thread-safe (use one per
// thread; the lock orders them).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipam.hpp"
#include "netlink.hpp"
#include "netns_ref.hpp"
#include "network.hpp"
#include "network_config.hpp"
#include "nft.hpp"
#include "ports.hpp"

namespace skiff::net {

struct AttachRequest {
  std::string network = kDefaultNetwork;
  std::string container_id;  // [A-Za-z0-9][A-Za-z0-9_.-]*, at most 128
  std::string name;          // host name in the hosts files (default: the container id)
  std::vector<std::string> aliases;
  std::string ifname = "eth0";
  std::vector<PortMapping> ports;
};

struct Attachment {
  std::string network;
  std::string container_id;
  std::string name;
  Ipv4Net address{};  // the container's address with the subnet's prefix
  Ipv4Addr gateway{};
  std::string mac;
  std::string host_veth;
  std::string ifname;
  std::string hosts_path;
  std::string resolv_conf_path;
  std::vector<PortMapping> ports;
  std::string netns_path;
  pid_t pid = 0;
};

struct NetworkStatus {
  NetworkConfig config;
  bool bridge_present = false;
  std::vector<Attachment> attachments;
};

class NetworkStore {
 public:
  // $SKIFF_NETWORK_STATE_DIR if set, else /var/lib/skiff/networks.
  static std::string default_state_dir();

  explicit NetworkStore(std::string state_dir = default_state_dir());
  ~NetworkStore();
  const std::string& dir() const { return dir_; }

  // Validates (name free, bridge name free or ours, subnet overlapping no other network and no route
  // or address of the host) and creates the network and its bridge. Nothing is left on failure.
  NetworkConfig create(const NetworkConfig& config);
  std::vector<NetworkConfig> list() const;
  std::optional<NetworkConfig> get(const std::string& name) const;
  NetworkStatus inspect(const std::string& name);
  // Removes the network and its bridge; EBUSY while containers are attached unless `force` (which
  // detaches them).
  void remove(const std::string& name, bool force = false);

  // Attaches the namespace `netns` (see NetnsRef) as container `req.container_id`. The default network
  // is created on first use. All or nothing.
  Attachment attach(const AttachRequest& req, const NetnsRef& netns);
  // Detaches; false if the container was not attached to that network.
  bool detach(const std::string& network, const std::string& container_id);
  // Reclaims allocations whose attachment is gone (their namespace died, or an attacher was killed)
  // and re-applies the host state. Returns how many were reclaimed.
  int reclaim();

 private:
  struct Loaded;
  std::string net_dir(const std::string& name) const { return dir_ + "/" + name; }
  std::string container_dir(const std::string& net, const std::string& id) const {
    return net_dir(net) + "/containers/" + id;
  }
  const NlSocket& host();
  NftContext& nft();
  NetworkConfig load_config(const std::string& name) const;
  NetworkConfig create_locked(const NetworkConfig& config);
  std::vector<Loaded> load_all();
  int reclaim_locked(std::vector<Loaded>& all);
  void write_hosts_files(const Loaded& n, const std::string& host_resolv);
  // Applies nft table, forwarding and route_localnet from the loaded state.
  void sync_host_state(const std::vector<Loaded>& all);
  Attachment to_attachment(const NetworkConfig& c, const Allocation& a) const;

  std::string dir_;
  std::unique_ptr<NlSocket> host_;
  std::unique_ptr<NftContext> nft_;
};

}  // namespace skiff::net
