#include "nft_ruleset.hpp"

namespace skiff::net {

static std::string q(const std::string& s) {
  return "\"" + s + "\"";
}

bool needs_route_localnet(const ActiveNetwork& n) {
  for (const auto& m : n.members)
    for (const auto& p : m.ports)
      if (p.any_host_ip() || (p.host_ip.value >> 24) == 127) return true;
  return false;
}

std::string render_ruleset(const RulesetInput& in) {
  // "add" then "delete" makes the delete valid whether or not the table exists; all of it, and the
  // new table, is one transaction.
  std::string t = std::string("add table inet ") + kNftTable + "\ndelete table inet " + kNftTable + "\n";
  if (in.networks.empty()) return t;

  std::string published, post, fwd, input;
  std::string bridges;
  for (const auto& n : in.networks) {
    const auto& c = n.config;
    std::string br = q(c.bridge), sub = c.subnet.str();
    bridges += (bridges.empty() ? "" : ", ") + br;
    // Outbound NAT: leaving the bridge for anywhere but the bridge itself.
    post +=
        "    ip saddr " + sub + " oifname != " + br + " masquerade comment " + q("outbound " + c.name) + "\n";
    // Hairpin: a container reaching a published port through a host address may be DNATed to a
    // neighbour on the same bridge, which would answer directly (L2) to an address it was not talking
    // to. Masquerading such flows makes the answer come back through the host.
    post += "    oifname " + br + " ip saddr " + sub + " ct status dnat masquerade comment " +
            q("hairpin " + c.name) + "\n";
    if (needs_route_localnet(n)) {
      // Published ports reached from the host as 127.0.0.1: the container cannot answer 127.0.0.1.
      post +=
          "    oifname " + br + " ip saddr 127.0.0.0/8 masquerade comment " + q("localhost " + c.name) + "\n";
      // route_localnet would also let a neighbour on the bridge send packets to 127.0.0.1 of the host
      // (the kube-proxy CVE-2020-8558 hole): only replies of the host's own NATed connections pass.
      input += "    iifname " + br + " ip daddr 127.0.0.0/8 ct direction reply ct status snat accept\n";
      input += "    iifname " + br + " ip daddr 127.0.0.0/8 drop\n";
    }
    // Into the bridge from elsewhere: replies and published ports only; containers are not reachable
    // from outside (or from another skiff network) by their private address.
    fwd += "    oifname " + br + " iifname != " + br + " ct state established,related accept\n";
    fwd += "    oifname " + br + " iifname != " + br + " ct status dnat accept\n";
    fwd += "    oifname " + br + " iifname != " + br + " drop\n";
    for (const auto& m : n.members) {
      for (const auto& p : m.ports) {
        std::string proto = p.proto == Proto::tcp ? "tcp" : "udp";
        published += "    ";
        if (!p.any_host_ip()) published += "ip daddr " + p.host_ip.str() + " ";
        published += proto + " dport " + std::to_string(p.host_port) + " dnat ip to " + m.ip.str() + ":" +
                     std::to_string(p.container_port) + " comment " + q(c.name + " " + m.container_id) + "\n";
      }
    }
  }
  if (!in.enabled_uplinks.empty()) {
    // Forwarding is enabled per ingress interface; on uplinks skiff enabled it only for its bridges.
    std::string ups;
    for (const auto& u : in.enabled_uplinks) ups += (ups.empty() ? "" : ", ") + q(u);
    fwd += "    iifname { " + ups + " } oifname != { " + bridges + " } drop\n";
  }

  t += std::string("table inet ") + kNftTable + " {\n";
  t += "  chain published {\n" + published + "  }\n";
  t += "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n"
       "    fib daddr type local jump published\n  }\n";
  t += "  chain output {\n    type nat hook output priority -100; policy accept;\n"
       "    fib daddr type local jump published\n  }\n";
  t += "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n" + post +
       "  }\n";
  t += "  chain forward {\n    type filter hook forward priority filter; policy accept;\n" + fwd + "  }\n";
  if (!input.empty())
    t += "  chain input {\n    type filter hook input priority filter; policy accept;\n" + input + "  }\n";
  t += "}\n";
  return t;
}

}  // namespace skiff::net
