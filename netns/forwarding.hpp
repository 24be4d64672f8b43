// IPv4 forwarding, enabled only where skiff's traffic needs it.
//
// Linux decides whether to forward a packet by the `forwarding` flag of the interface it ARRIVED on
// (net.ipv4.conf.<in-if>.forwarding; ip_route_input_slow checks IN_DEV_FORWARD(in_dev) only). The
// global net.ipv4.ip_forward is just a way to write that flag on every interface at once (and on
// conf/default for future ones), so skiff never writes it, nor conf/all or conf/default. Instead:
//  - the bridge gets forwarding=1: containers' packets arrive on it and go out anywhere;
//  - packets towards containers (answers to their outbound connections, and published ports reached
//    from other hosts) arrive on the host's uplink, the interfaces of its default routes, so those get
//    forwarding=1 too, while skiff has a network with containers - unless the admin had it on already;
//  - to keep "only for the bridge" true on an uplink skiff switched on, the nft table drops anything
//    entering through it and leaving through anything but a skiff bridge;
//  - when the last container goes, skiff turns off what it turned on (recorded in
//    <state>/forwarding.json, so a crash between the two does not lose the record).
// Local traffic (host to a container, published ports reached from the host) is not forwarded at all.
#pragma once

#include <string>
#include <vector>

#include "netlink.hpp"

namespace skiff::net {

class ForwardingState {
 public:
  explicit ForwardingState(std::string path);  // loads
  const std::vector<std::string>& enabled_uplinks() const { return enabled_; }

  // Networks are active: make sure every current uplink forwards (recording those we switched).
  void activate(const NlSocket& host);
  // No network is active: switch back what we switched.
  void deactivate(const NlSocket& host);

 private:
  void save() const;
  std::string path_;
  std::vector<std::string> enabled_;
};

// The bridge's own flag (lives and dies with the bridge).
void enable_bridge_forwarding(const std::string& bridge);

}  // namespace skiff::net
