#include "network_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "file_lock.hpp"
#include "file_util.hpp"
#include "forwarding.hpp"
#include "hosts_files.hpp"
#include "log.hpp"
#include "network_store_internal.hpp"
#include "nft_ruleset.hpp"
#include "rollback.hpp"
#include "sysctl.hpp"

namespace skiff::net {

std::string ipam_path(const std::string& net_dir) {
  return net_dir + "/ipam.json";
}

void validate_container_id(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 128 && std::isalnum(static_cast<unsigned char>(id[0]));
  for (char c : id)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
  if (!ok) throw Error("invalid container id \"" + id + "\": use 1-128 letters, digits, '-', '_' or '.'");
}

std::string NetworkStore::default_state_dir() {
  if (const char* e = std::getenv("SKIFF_NETWORK_STATE_DIR"); e && *e) return e;
  return "/var/lib/skiff/networks";
}

NetworkStore::NetworkStore(std::string state_dir) : dir_(std::move(state_dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

NetworkStore::~NetworkStore() = default;

const NlSocket& NetworkStore::host() {
  if (!host_) host_ = std::make_unique<NlSocket>();
  return *host_;
}

NftContext& NetworkStore::nft() {
  if (!nft_) nft_ = std::make_unique<NftContext>();
  return *nft_;
}

NetworkConfig NetworkStore::load_config(const std::string& name) const {
  auto c = get(name);
  if (!c) throw Error("network " + name + " does not exist");
  return *c;
}

std::optional<NetworkConfig> NetworkStore::get(const std::string& name) const {
  validate_network_name(name);
  std::string text;
  try {
    text = read_file(net_dir(name) + "/network.json");
  } catch (const Error& e) {
    if (e.err() == ENOENT) return std::nullopt;
    throw;
  }
  try {
    return nlohmann::json::parse(text).get<NetworkConfig>();
  } catch (const nlohmann::json::exception& e) {
    throw Error("corrupt " + net_dir(name) + "/network.json: " + e.what());
  }
}

// Whether `name` in directory `dir` is a directory, also where readdir does not say (DT_UNKNOWN).
static bool is_dir_entry(int dir_fd, const dirent& e) {
  if (e.d_type != DT_UNKNOWN) return e.d_type == DT_DIR;
  struct stat st {};
  return ::fstatat(dir_fd, e.d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

std::vector<NetworkConfig> NetworkStore::list() const {
  std::vector<NetworkConfig> out;
  DIR* d = ::opendir(dir_.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    throw_errno("open " + dir_);
  }
  std::vector<std::string> names;
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == ".." || !is_dir_entry(::dirfd(d), *e)) continue;
    names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    // A directory that no network could have made (lost+found, an editor's or an admin's leftovers)
    // is not skiff's to judge: every operation lists the store, so one stray directory must not
    // stop them all. Said once per listing, so that it gets cleaned up.
    try {
      validate_network_name(n);
    } catch (const Error& e) {
      skiff::log::warn("ignoring " + dir_ + "/" + n + " in the network store: " + e.what());
      continue;
    }
    // A directory without network.json is a network whose create was interrupted: not a network.
    if (auto c = get(n)) out.push_back(std::move(*c));
  }
  return out;
}

std::vector<NetworkStore::Loaded> NetworkStore::load_all() {
  std::vector<Loaded> all;
  for (auto& c : list()) {
    Ipam ipam(ipam_path(net_dir(c.name)), c.subnet, c.gateway);
    all.push_back(Loaded{std::move(c), std::move(ipam)});
  }
  return all;
}

NetworkConfig NetworkStore::create(const NetworkConfig& config) {
  mkdir_all(dir_, 0700);
  auto lock = FileLock::acquire(dir_ + "/lock");
  return create_locked(config);
}

NetworkConfig NetworkStore::create_locked(const NetworkConfig& config) {
  // Re-validate: a config may come from a caller that filled the struct by hand.
  NetworkConfig c = make_network_config(config.name, config.subnet.str(), config.gateway.str(), config.bridge,
                                        config.mtu, config.dns, config.dns_search);
  for (const auto& other : list()) {
    if (other.name == c.name) throw Error("network " + c.name + " already exists");
    if (other.bridge == c.bridge)
      throw Error("bridge " + c.bridge + " is already used by network " + other.name);
    if (other.subnet.overlaps(c.subnet))
      throw Error("subnet " + c.subnet.str() + " overlaps " + other.subnet.str() + " of network " +
                  other.name);
  }
  Network net(c);
  const NlSocket& h = host();
  bool exists = net.bridge_exists(h);  // throws if the name is taken by something not ours
  int own_index = exists ? h.link(c.bridge)->index : -1;
  for (const auto& [idx, a] : h.addresses()) {
    if (idx == own_index) continue;
    if (Ipv4Net{a.network(), a.prefix}.overlaps(c.subnet)) {
      auto l = h.link(idx);
      throw Error("subnet " + c.subnet.str() + " overlaps address " + a.str() + " of interface " +
                  (l ? l->name : std::to_string(idx)));
    }
  }
  for (const auto& [idx, dst] : h.routes()) {
    if (idx == own_index || dst.prefix == 0) continue;  // a default route overlaps everything
    if (dst.overlaps(c.subnet))
      throw Error("subnet " + c.subnet.str() + " overlaps route " + dst.str() + " of the host");
  }

  Rollback undo;
  std::string nd = net_dir(c.name);
  mkdir_all(nd + "/containers", 0755);
  undo.add([nd] { remove_all(nd); });
  bool created = false;
  net.ensure_bridge(h, &created);
  if (created) undo.add([&h, b = c.bridge] { h.delete_link_if_exists(b); });
  // network.json last: a directory without it is not a network (list() skips it).
  write_file_atomic(nd + "/network.json", nlohmann::json(c).dump(1) + "\n");
  undo.commit();
  return c;
}

Attachment NetworkStore::to_attachment(const NetworkConfig& c, const Allocation& a) const {
  Attachment t;
  t.network = c.name;
  t.container_id = a.container_id;
  t.name = a.name;
  t.address = Ipv4Net{a.ip, c.subnet.prefix};
  t.gateway = c.gateway;
  t.mac = mac_str(a.mac);
  t.host_veth = a.host_veth;
  t.ifname = a.ifname;
  std::string cd = container_dir(c.name, a.container_id);
  t.hosts_path = cd + "/hosts";
  t.resolv_conf_path = cd + "/resolv.conf";
  t.ports = a.ports;
  t.netns_path = a.netns_path;
  t.pid = a.pid;
  return t;
}

NetworkStatus NetworkStore::inspect(const std::string& name) {
  NetworkStatus s;
  s.config = load_config(name);
  Network net(s.config);
  try {
    s.bridge_present = net.bridge_exists(host());
  } catch (const Error&) {
    s.bridge_present = false;
  }
  Ipam ipam(ipam_path(net_dir(name)), s.config.subnet, s.config.gateway);
  for (const auto& a : ipam.allocations())
    if (a.state == Allocation::State::ready) s.attachments.push_back(to_attachment(s.config, a));
  return s;
}

void NetworkStore::remove(const std::string& name, bool force) {
  mkdir_all(dir_, 0700);
  auto lock = FileLock::acquire(dir_ + "/lock");
  NetworkConfig c = load_config(name);
  auto all = load_all();
  reclaim_locked(all);
  auto it = std::find_if(all.begin(), all.end(), [&](const Loaded& l) { return l.config.name == name; });
  if (it == all.end()) throw Error("network " + name + " does not exist");
  if (!it->ipam.allocations().empty() && !force)
    throw Error("network " + name + " has " + std::to_string(it->ipam.allocations().size()) +
                " container(s) attached (detach them, or remove with --force)");
  for (const auto& a : it->ipam.allocations()) host().delete_link_if_exists(a.host_veth);
  all.erase(it);
  // Rules first (they name the bridge), then the bridge, then the state.
  sync_host_state(all);
  Network(c).delete_bridge(host());
  remove_all(net_dir(name));
}

void NetworkStore::write_hosts_files(const Loaded& n, const std::string& host_resolv) {
  std::vector<Allocation> members;
  for (const auto& a : n.ipam.allocations())
    if (a.state == Allocation::State::ready) members.push_back(a);
  std::string hosts = render_hosts(n.config, members);
  std::string resolv = render_resolv_conf(n.config, host_resolv);
  for (const auto& m : members) {
    std::string cd = container_dir(n.config.name, m.container_id);
    mkdir_all(cd, 0755);
    update_bind_mounted_file(cd + "/hosts", hosts);
    update_bind_mounted_file(cd + "/resolv.conf", resolv);
  }
}

static std::string read_or_empty(const std::string& path) {
  try {
    return read_file(path);
  } catch (const Error&) {
    return "";
  }
}

// A cache, not a record: losing or tearing it only costs one identical re-apply, so no fsync.
static void write_cache(const std::string& path, const std::string& data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd || ::write(fd.get(), data.data(), data.size()) != static_cast<ssize_t>(data.size()))
    ::unlink(path.c_str());
}

void NetworkStore::sync_host_state(const std::vector<Loaded>& all) {
  RulesetInput in;
  for (const auto& l : all) {
    ActiveNetwork an{l.config, {}};
    for (const auto& a : l.ipam.allocations())
      if (a.state == Allocation::State::ready) an.members.push_back(a);
    if (!an.members.empty()) in.networks.push_back(std::move(an));
  }
  ForwardingState fwd(dir_ + "/forwarding.json");
  if (in.networks.empty()) {
    fwd.deactivate(host());
  } else {
    fwd.activate(host());
    for (const auto& n : in.networks) {
      std::string want = needs_route_localnet(n) ? "1" : "0";
      if (read_if_sysctl(n.config.bridge, "route_localnet").value_or(want) != want)
        write_if_sysctl(n.config.bridge, "route_localnet", want);
    }
  }
  in.enabled_uplinks = fwd.enabled_uplinks();
  std::string rules = render_ruleset(in);
  std::string cache = dir_ + "/nft.applied";
  if (read_or_empty(cache) == rules) return;
  ::unlink(cache.c_str());
  nft().run(rules);
  write_cache(cache, rules);
}

}  // namespace skiff::net
