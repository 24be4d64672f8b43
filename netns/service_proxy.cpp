#include "service_proxy.hpp"

#include <cstdlib>
#include <set>

#include "conntrack.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "log.hpp"
#include "network_store.hpp"

namespace skiff::net {

std::string ServiceProxy::default_state_dir() {
  if (const char* e = std::getenv("SKIFF_SERVICE_STATE_DIR"); e && *e) return e;
  return "/var/lib/skiff/services";
}

static ServiceProxyOptions with_defaults(ServiceProxyOptions o) {
  if (o.state_dir.empty()) o.state_dir = ServiceProxy::default_state_dir();
  while (o.state_dir.size() > 1 && o.state_dir.back() == '/') o.state_dir.pop_back();
  if (o.network_state_dir.empty()) o.network_state_dir = NetworkStore::default_state_dir();
  const ServiceRanges& r = o.ranges;
  if (r.service_cidr.prefix < 8 || r.service_cidr.prefix > 30 ||
      r.service_cidr.addr != r.service_cidr.network())
    throw Error("service range " + r.service_cidr.str() + " must be a subnet of /8 to /30 without host bits");
  if (r.node_port_min == 0 || r.node_port_min > r.node_port_max)
    throw Error("NodePort range " + std::to_string(r.node_port_min) + "-" + std::to_string(r.node_port_max) +
                " is not a range of ports");
  return o;
}

static FileLock lock_state_dir(const std::string& dir) {
  mkdir_all(dir, 0700);
  FileLock l = FileLock::try_acquire(dir + "/lock");
  if (!l) throw Error(EBUSY, "another service proxy holds " + dir + "/lock");
  return l;
}

ServiceProxy::ServiceProxy(ServiceProxyOptions options)
    : options_(with_defaults(std::move(options))),
      lock_(lock_state_dir(options_.state_dir)),
      allocator_(options_.state_dir + "/services.json", options_.ranges) {
  check_networks();
  const Ipv4Net& range = options_.ranges.service_cidr;
  for (const auto& [idx, a] : host().addresses()) {
    if (!range.contains(a.addr)) continue;
    auto l = host().link(idx);
    throw Error("service range " + range.str() + " holds address " + a.str() + " of interface " +
                (l ? l->name : std::to_string(idx)));
  }
}

ServiceProxy::~ServiceProxy() = default;

const NlSocket& ServiceProxy::host() {
  if (!host_) host_ = std::make_unique<NlSocket>();
  return *host_;
}

// A service range overlapping a bridge network's subnet is refused, at start and at every full sync
// (a network may have been created since).
void ServiceProxy::check_networks() {
  for (const auto& c : NetworkStore(options_.network_state_dir).list())
    if (c.subnet.overlaps(options_.ranges.service_cidr))
      throw Error("service range " + options_.ranges.service_cidr.str() + " overlaps subnet " +
                  c.subnet.str() + " of network " + c.name);
}

void ServiceProxy::require_synced(const char* what) const {
  if (!synced_)
    throw Error(
        std::string("service proxy: ") + what +
        " before the first sync (sync the full state first: only then is the rest of the table known)");
}

void ServiceProxy::run(const std::string& script) {
  if (script.empty()) return;
  if (!nft_) nft_ = std::make_unique<NftContext>();
  nft_->run(script);
}

static bool host_port_free(Proto proto, uint16_t port, Ipv4Addr addr = {}) {
  try {
    check_host_port_free(PortMapping{addr, port, port, proto});
    return true;
  } catch (const Error&) {
    return false;
  }
}

ProgrammedService ServiceProxy::allocate(ServiceAllocator& alloc, const ServiceSpec& spec) {
  validate_service(spec, options_.ranges);
  ProgrammedService p{spec,
                      alloc.assign(spec, [](Proto pr, uint16_t port) { return host_port_free(pr, port); })};
  for (auto& port : p.spec.ports) {
    auto it = p.alloc.node_ports.find(port_key(port));
    if (it != p.alloc.node_ports.end()) port.node_port = it->second;
  }
  return p;
}

namespace {
struct HostClaim {
  Proto proto;
  uint16_t port;
  Ipv4Addr addr;  // 0: every host address
  std::string service, key, what;
};

std::vector<HostClaim> claims_of(const ProgrammedService& p) {
  std::vector<HostClaim> out;
  if (p.spec.headless || p.spec.type == ServiceType::cluster_ip) return out;
  for (const auto& port : p.spec.ports) {
    const std::string proto = port.protocol == Proto::tcp ? "tcp" : "udp";
    if (port.node_port)
      out.push_back({port.protocol,
                     port.node_port,
                     {},
                     p.spec.name,
                     port_key(port),
                     "node port " + std::to_string(port.node_port) + "/" + proto});
    if (p.spec.type != ServiceType::load_balancer) continue;
    const std::string lb = "load balancer port " + std::to_string(port.port) + "/" + proto;
    if (p.spec.load_balancer_ips.empty())
      out.push_back({port.protocol, port.port, {}, p.spec.name, port_key(port), lb});
    for (const auto& ip : p.spec.load_balancer_ips)
      out.push_back({port.protocol, port.port, ip, p.spec.name, port_key(port), lb + " on " + ip.str()});
  }
  return out;
}
}  // namespace

// Two Services (or two ports of one) publishing the same protocol and port on a common host address
// would share one map key; a host socket holding a newly published port would be shadowed.
void ServiceProxy::check_host_claims(const std::map<std::string, ProgrammedService>& all,
                                     const std::map<std::string, ProgrammedService>& before) const {
  std::vector<HostClaim> claims;
  for (const auto& [name, p] : all)
    for (auto& c : claims_of(p)) claims.push_back(std::move(c));
  for (size_t i = 0; i < claims.size(); ++i) {
    const HostClaim& a = claims[i];
    for (size_t j = 0; j < i; ++j) {
      const HostClaim& b = claims[j];
      if (a.proto != b.proto || a.port != b.port || (a.service == b.service && a.key == b.key)) continue;
      if (a.addr.value && b.addr.value && a.addr != b.addr) continue;
      throw Error("service " + a.service + ": " + a.what + " is already published by service " + b.service +
                  " (" + b.what + ")");
    }
  }
  std::set<std::tuple<std::string, Proto, uint16_t, Ipv4Addr>> old;
  for (const auto& [name, p] : before)
    for (const auto& c : claims_of(p)) old.insert({c.service, c.proto, c.port, c.addr});
  for (const auto& c : claims) {
    if (c.what.rfind("load balancer", 0) != 0 || old.count({c.service, c.proto, c.port, c.addr})) continue;
    if (!host_port_free(c.proto, c.port, c.addr))
      throw Error("service " + c.service + ": " + c.what + " is in use by a socket on the host");
  }
}

std::vector<ServiceStatus> ServiceProxy::sync(const std::vector<ServiceSpec>& services) {
  ServiceAllocator alloc = allocator_;
  std::set<std::string> names;
  for (const auto& s : services)
    if (!names.insert(s.name).second) throw Error("service " + s.name + " is given twice");
  for (const auto& [name, a] : allocator_.all())
    if (!names.count(name)) alloc.release(name);
  std::map<std::string, ProgrammedService> next;
  for (const auto& s : services) next.emplace(s.name, allocate(alloc, s));
  check_host_claims(next, programmed_);
  check_networks();

  std::map<std::string, ServiceObjects> objects;
  std::vector<ServiceObjects> all_objects;
  for (const auto& [name, p] : next) all_objects.push_back(objects[name] = plan_service(p));
  if (!nft_) nft_ = std::make_unique<NftContext>();
  ExistingServiceObjects existing;
  try {
    nft_->set_json_output(true);
    existing = parse_existing(nft_->run_output(std::string("list table ip ") + kServiceTable));
    nft_->set_json_output(false);
  } catch (const Error&) {
    nft_->set_json_output(false);  // no table yet
  }
  run(render_full_sync({options_.ranges.service_cidr}, all_objects, existing));

  if (!(alloc.all() == allocator_.all())) alloc.save();
  allocator_ = std::move(alloc);
  std::map<std::string, ProgrammedService> before = std::move(programmed_);
  programmed_ = std::move(next);
  objects_ = std::move(objects);
  synced_ = true;
  std::vector<const ProgrammedService*> changed, removed;
  for (const auto& [name, p] : programmed_) changed.push_back(&p);
  for (const auto& [name, p] : before)
    if (!programmed_.count(name)) removed.push_back(&p);
  after_change(changed, removed);
  return list();
}

ServiceStatus ServiceProxy::apply(const ServiceSpec& service) {
  require_synced("apply");
  ServiceAllocator alloc = allocator_;
  ProgrammedService p = allocate(alloc, service);
  std::map<std::string, ProgrammedService> next = programmed_;
  next[p.spec.name] = p;
  check_host_claims(next, programmed_);
  ServiceObjects obj = plan_service(p);
  auto old = objects_.find(p.spec.name);
  run(render_service_update(old == objects_.end() ? ServiceObjects{} : old->second, obj));
  if (!(alloc.all() == allocator_.all())) alloc.save();
  allocator_ = std::move(alloc);
  programmed_ = std::move(next);
  objects_[p.spec.name] = std::move(obj);
  after_change({&programmed_.at(p.spec.name)}, {});
  return make_status(programmed_.at(p.spec.name));
}

ServiceStatus ServiceProxy::update_endpoints(const std::string& name,
                                             const std::vector<ServiceEndpoint>& endpoints) {
  require_synced("update_endpoints");
  auto it = programmed_.find(name);
  if (it == programmed_.end()) throw Error("service " + name + " is not known to the service proxy");
  ProgrammedService p = it->second;
  p.spec.endpoints = endpoints;
  validate_service(p.spec, options_.ranges);
  ServiceObjects obj = plan_service(p);
  run(render_service_update(objects_.at(name), obj));
  it->second = std::move(p);
  objects_[name] = std::move(obj);
  after_change({&it->second}, {}, true);
  return make_status(it->second);
}

bool ServiceProxy::remove(const std::string& name) {
  require_synced("remove");
  auto it = programmed_.find(name);
  if (it == programmed_.end()) {
    // Not programmed, but maybe allocated by an earlier process: the allocation goes too.
    if (allocator_.release(name)) allocator_.save();
    return false;
  }
  run(render_service_update(objects_.at(name), ServiceObjects{}));
  ProgrammedService gone = std::move(it->second);
  programmed_.erase(it);
  objects_.erase(name);
  if (allocator_.release(name)) allocator_.save();
  after_change({}, {&gone});
  return true;
}

void ServiceProxy::teardown() {
  run(render_teardown());
  for (const auto& r : host().route_entries())
    if (r.protocol == kServiceRouteProtocol && r.dst == options_.ranges.service_cidr)
      host().delete_link_route(r.dst, r.ifindex, r.protocol);
  route_ifindex_ = 0;
  programmed_.clear();
  objects_.clear();
  hairpin_.clear();
  synced_ = false;
}

void ServiceProxy::after_change(const std::vector<const ProgrammedService*>& changed,
                                const std::vector<const ProgrammedService*>& removed, bool endpoints_only) {
  // The rules are in place; what follows only improves on them, and a failure is said, not thrown
  // (the caller's change did happen).
  try {
    for (const auto* p : changed) ensure_hairpin(p->spec);
  } catch (const Error& e) {
    skiff::log::warn(std::string("service proxy: hairpin mode: ") + e.what());
  }
  try {
    if (!endpoints_only) ensure_service_route();
  } catch (const Error& e) {
    skiff::log::warn(std::string("service proxy: route to the service range: ") + e.what());
  }
  std::set<Ipv4Addr> in_use;
  for (const auto& [name, p] : programmed_)
    for (const auto& e : p.spec.endpoints) in_use.insert(e.address);
  for (auto it = hairpin_.begin(); it != hairpin_.end();)
    it = in_use.count(it->first) ? std::next(it) : hairpin_.erase(it);
  try {
    flush_stale_udp(changed, removed);
  } catch (const Error& e) {
    skiff::log::warn(std::string("service proxy: flushing stale UDP conntrack entries: ") + e.what());
  }
}

void ServiceProxy::ensure_hairpin(const ServiceSpec& s) {
  std::map<Ipv4Addr, std::string> ports;
  bool loaded = false;
  for (const auto& e : s.endpoints) {
    if (hairpin_.count(e.address)) continue;
    if (!loaded) {
      NetworkStore store(options_.network_state_dir);
      for (const auto& c : store.list())
        for (const auto& a : store.inspect(c.name).attachments) ports[a.address.addr] = a.host_veth;
      loaded = true;
    }
    auto it = ports.find(e.address);
    if (it == ports.end()) continue;  // not behind one of our bridges (host network, another host)
    auto link = host().link(it->second);
    if (!link) continue;
    host().set_hairpin(link->index);
    hairpin_[e.address] = it->second;
  }
}

// The host's own connections to a VIP need a route before netfilter sees them (connect() picks the
// route, then the output hook DNATs): kube-proxy relies on the default route. Where there is none,
// the service range is routed into a skiff bridge (any: DNAT picks the real destination, and what is
// not DNAT'd is rejected by filter-output-late before it leaves).
void ServiceProxy::ensure_service_route() {
  const Ipv4Net& range = options_.ranges.service_cidr;
  bool covered = false;
  std::vector<NlSocket::Route> ours;
  for (const auto& r : host().route_entries()) {
    if (r.protocol == kServiceRouteProtocol && r.dst == range)
      ours.push_back(r);
    else if (r.dst.prefix <= range.prefix && r.dst.contains(range.addr))
      covered = true;
  }
  int want = 0;
  if (!covered && !programmed_.empty())
    for (const auto& c : NetworkStore(options_.network_state_dir).list())
      if (auto l = host().link(c.bridge); l && l->type == "bridge" && l->up) {
        want = l->index;
        break;
      }
  for (const auto& r : ours)
    if (r.ifindex != want) host().delete_link_route(r.dst, r.ifindex, r.protocol);
  if (want) host().add_link_route(range, want, kServiceRouteProtocol);
  route_ifindex_ = want;
}

void ServiceProxy::flush_stale_udp(const std::vector<const ProgrammedService*>& changed,
                                   const std::vector<const ProgrammedService*>& removed) {
  std::vector<UdpConntrackFilter> filters;
  std::vector<Ipv4Addr> host_addrs;
  bool have_host_addrs = false;
  auto add = [&](const ProgrammedService& p, bool gone) {
    if (p.spec.headless) return;
    for (const auto& port : p.spec.ports) {
      if (port.protocol != Proto::udp) continue;
      if (!have_host_addrs) {
        for (const auto& [idx, a] : host().addresses()) host_addrs.push_back(a.addr);
        have_host_addrs = true;
      }
      std::vector<Ipv4Addr> keep;
      if (!gone)
        for (const auto& e : usable_endpoints(p.spec, port).endpoints) keep.push_back(e.address);
      std::vector<std::pair<std::vector<Ipv4Addr>, uint16_t>> entries = {{{p.alloc.cluster_ip}, port.port}};
      if (port.node_port) entries.push_back({host_addrs, port.node_port});
      if (p.spec.type == ServiceType::load_balancer)
        entries.push_back(
            {p.spec.load_balancer_ips.empty() ? host_addrs : p.spec.load_balancer_ips, port.port});
      for (const auto& [dsts, dport] : entries) {
        filters.push_back({dsts, dport, true, keep});
        if (!keep.empty()) filters.push_back({dsts, dport, false, {}});
      }
    }
  };
  for (const auto* p : changed) add(*p, false);
  for (const auto* p : removed) add(*p, true);
  flush_udp_conntrack(filters);
}

ServiceStatus ServiceProxy::make_status(const ProgrammedService& p) const {
  ServiceStatus s{p.spec.name, p.spec.type, p.spec.headless, p.alloc.cluster_ip, {}};
  for (const auto& port : p.spec.ports) {
    UsableEndpoints u = usable_endpoints(p.spec, port);
    s.ports.push_back({port, std::move(u.endpoints), u.terminating_fallback});
  }
  return s;
}

std::optional<ServiceStatus> ServiceProxy::status(const std::string& name) const {
  auto it = programmed_.find(name);
  if (it == programmed_.end()) return std::nullopt;
  return make_status(it->second);
}

std::vector<ServiceStatus> ServiceProxy::list() const {
  std::vector<ServiceStatus> out;
  for (const auto& [name, p] : programmed_) out.push_back(make_status(p));
  return out;
}

}  // namespace skiff::net
