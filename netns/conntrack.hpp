// Flushing stale UDP conntrack entries, as kube-proxy does after a sync (pkg/proxy/conntrack).
//
// UDP has no connection to end: a client that keeps sending to a Service from the same port keeps
// its conntrack entry, and with it the DNAT to an endpoint that may be gone (its datagrams vanish),
// or the non-NAT'd entry made while the Service had no endpoints (they keep being rejected). So when
// a UDP Service port loses an endpoint, the entries DNAT'd to that endpoint go; and when it gets its
// first endpoint, the entries addressed to it go. TCP needs none of this: a gone endpoint resets.
#pragma once

#include <cstdint>
#include <vector>

#include "ipv4.hpp"

namespace skiff::net {

// Matches an IPv4 UDP entry sent to one of `orig_dst` (all must be given: a node port is matched
// on the host's addresses only, never on a remote server's port of the same number) on `orig_dport`.
struct UdpConntrackFilter {
  std::vector<Ipv4Addr> orig_dst;  // the addresses the client sent to (cluster IP, host addresses)
  uint16_t orig_dport = 0;         // the port it sent to (service port, node port)
  // dnat: entries DNAT'd to an endpoint not in `keep` (a gone one); !dnat: entries never DNAT'd
  // (made while the port had no endpoint).
  bool dnat = true;
  std::vector<Ipv4Addr> keep;
};

// Deletes the UDP entries of the calling thread's network namespace that match any filter. Returns
// how many went. Throws skiff::Error when conntrack cannot be read (an entry that vanished meanwhile
// is no error).
int flush_udp_conntrack(const std::vector<UdpConntrackFilter>& filters);

}  // namespace skiff::net
