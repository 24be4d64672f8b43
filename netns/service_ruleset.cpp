#include "service_ruleset.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "error.hpp"

namespace skiff::net {

namespace {

const std::string kT = std::string("ip ") + kServiceTable;

std::string proto_str(Proto p) {
  return p == Proto::tcp ? "tcp" : "udp";
}

std::string hex_mark() {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", kServiceMasqueradeMark);
  return b;
}

bool is_service_chain(const std::string& n) {
  return n.rfind("svc-", 0) == 0 || n.rfind("ext-", 0) == 0 || n.rfind("ep-", 0) == 0;
}

struct PortNames {
  std::string svc, ext;
  std::string ep(const UsableEndpoint& e) const {
    return "ep-" + base + "__" + e.address.str() + "/" + std::to_string(e.port);
  }
  std::string aff(const UsableEndpoint& e) const {
    return "aff-" + base + "__" + e.address.str() + "/" + std::to_string(e.port);
  }
  std::string base;
};

PortNames names_for(const ServiceSpec& s, const ServicePort& p) {
  PortNames n;
  n.base = s.name + "/" + port_key(p);
  n.svc = "svc-" + n.base;
  n.ext = "ext-" + n.base;
  return n;
}

// The chains of one port that has endpoints, and the elements sending its traffic there.
void plan_port_with_endpoints(const ProgrammedService& ps, const ServicePort& p, const UsableEndpoints& u,
                              ServiceObjects& o) {
  const ServiceSpec& s = ps.spec;
  const PortNames n = names_for(s, p);
  const std::string proto = proto_str(p.protocol);
  const bool affinity = s.affinity_timeout_s > 0;
  std::string vmap;
  for (size_t i = 0; i < u.endpoints.size(); ++i) {
    const UsableEndpoint& e = u.endpoints[i];
    NftChain ep{n.ep(e), {}};
    // Hairpin: a pod sent here to itself must see the reply come from the VIP, so it is masqueraded.
    ep.rules.push_back("ip saddr " + e.address.str() + " jump mark-for-masquerade");
    if (affinity) {
      o.affinity_sets[n.aff(e)] = s.affinity_timeout_s;
      ep.rules.push_back("update @" + n.aff(e) + " { ip saddr }");
    }
    ep.rules.push_back("meta l4proto " + proto + " dnat to " + e.address.str() + ":" +
                       std::to_string(e.port));
    o.chains.push_back(std::move(ep));
    vmap += (i ? ", " : "") + std::to_string(i) + " : goto " + n.ep(e);
  }
  NftChain svc{n.svc, {}};
  // No masquerade for traffic to the cluster IP (kube-proxy masquerades what is not from a pod, for
  // endpoints on other nodes): on one host every endpoint behind a skiff bridge answers through the
  // host, so the client's address is kept, the host's own as well. (That also spares the host's
  // connection-per-request clients the masquerade's port space: one source, one endpoint, 64k ports
  // in TIME_WAIT for two minutes.)
  if (affinity)
    for (const auto& e : u.endpoints) svc.rules.push_back("ip saddr @" + n.aff(e) + " goto " + n.ep(e));
  svc.rules.push_back("numgen random mod " + std::to_string(u.endpoints.size()) + " vmap { " + vmap + " }");
  o.chains.push_back(std::move(svc));

  const std::string key_suffix = " . " + proto + " . " + std::to_string(p.port);
  o.elements.push_back({"service-ips", ps.alloc.cluster_ip.str() + key_suffix, "goto " + n.svc});
  if (s.type == ServiceType::cluster_ip) return;
  NftChain ext{n.ext, {}};
  if (s.external_policy == TrafficPolicy::cluster)
    ext.rules.push_back("jump mark-for-masquerade");
  else  // Local: the client's address is kept, but the host's own connections use a host address
    ext.rules.push_back("fib saddr type local jump mark-for-masquerade");
  ext.rules.push_back("goto " + n.svc);
  o.chains.push_back(std::move(ext));
  auto np = ps.alloc.node_ports.find(port_key(p));
  if (np != ps.alloc.node_ports.end())
    o.elements.push_back({"service-nodeports", proto + " . " + std::to_string(np->second), "goto " + n.ext});
  if (s.type == ServiceType::load_balancer) {
    if (s.load_balancer_ips.empty())
      o.elements.push_back({"service-nodeports", proto + " . " + std::to_string(p.port), "goto " + n.ext});
    for (const auto& ip : s.load_balancer_ips)
      o.elements.push_back({"service-ips", ip.str() + key_suffix, "goto " + n.ext});
  }
}

void plan_port_without_endpoints(const ProgrammedService& ps, const ServicePort& p, ServiceObjects& o) {
  const ServiceSpec& s = ps.spec;
  const std::string proto = proto_str(p.protocol),
                    key_suffix = " . " + proto + " . " + std::to_string(p.port);
  const std::string reject = "goto reject-chain";
  o.elements.push_back({"no-endpoint-services", ps.alloc.cluster_ip.str() + key_suffix, reject});
  if (s.type == ServiceType::cluster_ip) return;
  auto np = ps.alloc.node_ports.find(port_key(p));
  if (np != ps.alloc.node_ports.end())
    o.elements.push_back({"no-endpoint-nodeports", proto + " . " + std::to_string(np->second), reject});
  if (s.type == ServiceType::load_balancer) {
    if (s.load_balancer_ips.empty())
      o.elements.push_back({"no-endpoint-nodeports", proto + " . " + std::to_string(p.port), reject});
    for (const auto& ip : s.load_balancer_ips)
      o.elements.push_back({"no-endpoint-services", ip.str() + key_suffix, reject});
  }
}

std::string add_set(const std::string& name, uint32_t timeout) {
  // A bounded set (nft's default size, 65535 clients) whose entries expire after the timeout.
  return "add set " + kT + " " + name + " { type ipv4_addr; flags dynamic,timeout; timeout " +
         std::to_string(timeout) + "s; size 65535; }\n";
}

std::string add_chain_with_rules(const NftChain& c) {
  std::string t = "add chain " + kT + " " + c.name + "\nflush chain " + kT + " " + c.name + "\n";
  for (const auto& r : c.rules) t += "add rule " + kT + " " + c.name + " " + r + "\n";
  return t;
}

std::string add_element(const NftElement& e) {
  return "add element " + kT + " " + e.map + " { " + e.key + " : " + e.value + " }\n";
}

// Valid whether or not the element exists: adding it (with the value its key always has) first.
std::string remove_element(const NftElement& e) {
  return add_element(e) + "delete element " + kT + " " + e.map + " { " + e.key + " }\n";
}

std::string remove_chain(const std::string& name) {
  return "add chain " + kT + " " + name + "\ndelete chain " + kT + " " + name + "\n";
}

std::string remove_set(const std::string& name, uint32_t timeout) {
  return add_set(name, timeout) + "delete set " + kT + " " + name + "\n";
}

std::string render_base(const ServiceTableBase& b) {
  std::string t = "add table " + kT + " { comment \"skiff service proxy\"; }\n";
  struct Base {
    const char *name, *type, *hook, *prio;
  };
  // Numbers rather than names: nft 1.0 knows "dstnat" only on prerouting. -100 is dstnat, 100
  // srcnat, 0 filter; the filter chains at -110 see the addresses before DNAT.
  static const Base bases[] = {
      {"nat-prerouting", "nat", "prerouting", "-100"},   {"nat-output", "nat", "output", "-100"},
      {"nat-postrouting", "nat", "postrouting", "100"},  {"filter-input", "filter", "input", "-110"},
      {"filter-forward", "filter", "forward", "-110"},   {"filter-output", "filter", "output", "-110"},
      {"filter-forward-late", "filter", "forward", "0"}, {"filter-output-late", "filter", "output", "0"},
  };
  for (const auto& c : bases)
    t += std::string("add chain ") + kT + " " + c.name + " { type " + c.type + " hook " + c.hook +
         " priority " + c.prio + "; policy accept; }\n";
  for (const char* m : {"service-ips", "no-endpoint-services"})
    t += std::string("add map ") + kT + " " + m +
         " { type ipv4_addr . inet_proto . inet_service : verdict; }\n";
  for (const char* m : {"service-nodeports", "no-endpoint-nodeports"})
    t += std::string("add map ") + kT + " " + m + " { type inet_proto . inet_service : verdict; }\n";
  for (const char* m : {"service-ips", "no-endpoint-services", "service-nodeports", "no-endpoint-nodeports"})
    t += std::string("flush map ") + kT + " " + m + "\n";
  const std::string range = b.service_cidr.str(), mark = hex_mark();
  const std::vector<NftChain> fixed = {
      {"services",
       {"ip daddr . meta l4proto . th dport vmap @service-ips",
        "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports"}},
      {"endpoints-check",
       {"ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
        "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports"}},
      {"reject-chain", {"meta l4proto tcp reject with tcp reset", "reject"}},
      {"mark-for-masquerade", {"meta mark set meta mark or " + mark}},
      {"masquerading",
       {"meta mark & " + mark + " == 0 return", "meta mark set meta mark xor " + mark,
        "masquerade fully-random"}},
      {"nat-prerouting", {"jump services"}},
      {"nat-output", {"jump services"}},
      {"nat-postrouting", {"jump masquerading"}},
      {"filter-input", {"ct state new jump endpoints-check"}},
      {"filter-forward", {"ct state new jump endpoints-check"}},
      {"filter-output", {"ct state new jump endpoints-check"}},
      // After DNAT: still addressed to the range means no Service has that address and port.
      {"filter-forward-late", {"ip daddr " + range + " jump reject-chain"}},
      {"filter-output-late", {"ip daddr " + range + " jump reject-chain"}},
  };
  for (const auto& c : fixed) t += add_chain_with_rules(c);
  return t;
}

}  // namespace

ServiceObjects plan_service(const ProgrammedService& ps) {
  ServiceObjects o;
  if (ps.spec.headless) return o;
  for (const auto& p : ps.spec.ports) {
    UsableEndpoints u = usable_endpoints(ps.spec, p);
    if (u.endpoints.empty())
      plan_port_without_endpoints(ps, p, o);
    else
      plan_port_with_endpoints(ps, p, u, o);
  }
  return o;
}

ExistingServiceObjects parse_existing(const std::string& text) {
  ExistingServiceObjects ex;
  try {
    auto j = nlohmann::json::parse(text);
    for (const auto& item : j.at("nftables")) {
      if (item.contains("table")) ex.table = true;
      if (item.contains("chain")) {
        std::string n = item["chain"].value("name", "");
        if (is_service_chain(n)) ex.service_chains.insert(n);
      }
      if (item.contains("set")) {
        const auto& s = item["set"];
        std::string n = s.value("name", "");
        if (n.rfind("aff-", 0) == 0) ex.affinity_sets[n] = s.value("timeout", 0u);
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("cannot read the listing of table ") + kServiceTable + ": " + e.what());
  }
  return ex;
}

std::string render_full_sync(const ServiceTableBase& base, const std::vector<ServiceObjects>& services,
                             const ExistingServiceObjects& existing) {
  std::string t = render_base(base);
  // Every old service chain emptied first: then no rule refers to any chain or set of ours, and any
  // of them can be deleted or replaced below, in this same transaction.
  for (const auto& c : existing.service_chains) t += "flush chain " + kT + " " + c + "\n";
  std::set<std::string> wanted_chains;
  std::map<std::string, uint32_t> wanted_sets;
  for (const auto& s : services) {
    for (const auto& c : s.chains) wanted_chains.insert(c.name);
    wanted_sets.insert(s.affinity_sets.begin(), s.affinity_sets.end());
  }
  for (const auto& [name, timeout] : existing.affinity_sets) {
    auto it = wanted_sets.find(name);
    if (it == wanted_sets.end() || it->second != timeout) t += "delete set " + kT + " " + name + "\n";
  }
  for (const auto& s : services) {
    for (const auto& [name, timeout] : s.affinity_sets) t += add_set(name, timeout);
    for (const auto& c : s.chains) t += add_chain_with_rules(c);
    for (const auto& e : s.elements) t += add_element(e);
  }
  for (const auto& c : existing.service_chains)
    if (!wanted_chains.count(c)) t += "delete chain " + kT + " " + c + "\n";
  return t;
}

std::string render_service_update(const ServiceObjects& before, const ServiceObjects& after) {
  std::map<std::string, const NftChain*> old_chains, new_chains;
  for (const auto& c : before.chains) old_chains[c.name] = &c;
  for (const auto& c : after.chains) new_chains[c.name] = &c;
  // A set whose timeout changes is replaced, and the rules naming it must let go of it first.
  bool timeout_changed = false;
  for (const auto& [name, timeout] : before.affinity_sets) {
    auto it = after.affinity_sets.find(name);
    timeout_changed = timeout_changed || (it != after.affinity_sets.end() && it->second != timeout);
  }
  auto unchanged = [&](const NftChain& c, const std::map<std::string, const NftChain*>& other) {
    auto it = other.find(c.name);
    return !timeout_changed && it != other.end() && *it->second == c;
  };
  std::string t;
  // 1. Empty the old chains that change or go: afterwards nothing of ours refers to what goes.
  for (const auto& c : before.chains)
    if (!unchanged(c, new_chains))
      t += "add chain " + kT + " " + c.name + "\nflush chain " + kT + " " + c.name + "\n";
  // 2. Affinity sets that go (or whose timeout changes); kept ones keep their clients.
  for (const auto& [name, timeout] : before.affinity_sets) {
    auto it = after.affinity_sets.find(name);
    if (it == after.affinity_sets.end() || it->second != timeout) t += remove_set(name, timeout);
  }
  for (const auto& [name, timeout] : after.affinity_sets) {
    auto it = before.affinity_sets.find(name);
    if (it == before.affinity_sets.end() || it->second != timeout) t += add_set(name, timeout);
  }
  // 3. New and changed chains, referenced ones first.
  for (const auto& c : after.chains)
    if (!unchanged(c, old_chains)) t += add_chain_with_rules(c);
  // 4. Elements: the ones that go or change value, then the new ones.
  std::map<std::pair<std::string, std::string>, std::string> old_elems, new_elems;
  for (const auto& e : before.elements) old_elems[{e.map, e.key}] = e.value;
  for (const auto& e : after.elements) new_elems[{e.map, e.key}] = e.value;
  for (const auto& e : before.elements) {
    auto it = new_elems.find({e.map, e.key});
    if (it == new_elems.end() || it->second != e.value) t += remove_element(e);
  }
  for (const auto& e : after.elements) {
    auto it = old_elems.find({e.map, e.key});
    if (it == old_elems.end() || it->second != e.value) t += add_element(e);
  }
  // 5. Chains that go: emptied in 1, unreferenced since 3 and 4.
  for (const auto& c : before.chains)
    if (!new_chains.count(c.name)) t += remove_chain(c.name);
  return t;
}

std::string render_teardown() {
  return "add table " + kT + "\ndelete table " + kT + "\n";
}

}  // namespace skiff::net
