#include "ipam.hpp"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "file_util.hpp"

namespace skiff::net {

using nlohmann::json;

Mac mac_for(Ipv4Addr ip) {
  // Locally administered, unicast, derived from the address: a re-used address keeps its MAC, so
  // neighbours' ARP entries stay right.
  return Mac{0x02,
             0x5b,
             static_cast<uint8_t>(ip.value >> 24),
             static_cast<uint8_t>(ip.value >> 16),
             static_cast<uint8_t>(ip.value >> 8),
             static_cast<uint8_t>(ip.value)};
}

static json alloc_to_json(const Allocation& a) {
  return json{{"ip", a.ip.str()},
              {"state", a.state == Allocation::State::ready ? "ready" : "pending"},
              {"container_id", a.container_id},
              {"name", a.name},
              {"aliases", a.aliases},
              {"host_veth", a.host_veth},
              {"ifname", a.ifname},
              {"mac", mac_str(a.mac)},
              {"netns", {{"path", a.netns_path}, {"dev", a.netns_dev}, {"ino", a.netns_ino}}},
              {"pid", a.pid},
              {"ports", a.ports}};
}

static Allocation alloc_from_json(const json& j) {
  Allocation a;
  auto ip = parse_ipv4(j.at("ip").get<std::string>());
  if (!ip) throw Error("corrupt IPAM entry: bad ip");
  a.ip = *ip;
  a.state =
      j.at("state").get<std::string>() == "ready" ? Allocation::State::ready : Allocation::State::pending;
  a.container_id = j.at("container_id").get<std::string>();
  a.name = j.value("name", "");
  a.aliases = j.value("aliases", std::vector<std::string>{});
  a.host_veth = j.value("host_veth", "");
  a.ifname = j.value("ifname", "eth0");
  a.mac = mac_for(a.ip);
  const auto& ns = j.at("netns");
  a.netns_path = ns.value("path", "");
  a.netns_dev = ns.value("dev", uint64_t{0});
  a.netns_ino = ns.value("ino", uint64_t{0});
  a.pid = j.value("pid", 0);
  a.ports = j.value("ports", std::vector<PortMapping>{});
  return a;
}

Ipam::Ipam(std::string path, Ipv4Net subnet, Ipv4Addr gateway)
    : path_(std::move(path)), subnet_(subnet), gateway_(gateway) {
  std::string text;
  try {
    text = read_file(path_);
  } catch (const Error& e) {
    if (e.err() == ENOENT) return;
    throw;
  }
  json j;
  try {
    j = json::parse(text);
    if (auto l = parse_ipv4(j.value("last", ""))) last_ = *l;
    for (const auto& a : j.at("allocations")) allocs_.push_back(alloc_from_json(a));
  } catch (const json::exception& e) {
    throw Error("corrupt IPAM state " + path_ + ": " + e.what());
  }
}

const Allocation* Ipam::find(const std::string& id) const {
  auto it = std::find_if(allocs_.begin(), allocs_.end(), [&](const auto& a) { return a.container_id == id; });
  return it == allocs_.end() ? nullptr : &*it;
}

bool Ipam::in_use(Ipv4Addr ip) const {
  return std::any_of(allocs_.begin(), allocs_.end(), [&](const auto& a) { return a.ip == ip; });
}

Ipv4Addr Ipam::allocate(Allocation a) {
  if (find(a.container_id)) throw Error("container " + a.container_id + " already has an address");
  uint32_t first = subnet_.network().value + 1, last = subnet_.broadcast().value - 1;
  uint32_t count = last - first + 1;
  uint32_t start = (last_.value >= first && last_.value <= last) ? last_.value + 1 : first;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t v = first + (start - first + i) % count;
    Ipv4Addr ip{v};
    if (ip == gateway_ || in_use(ip)) continue;
    a.ip = ip;
    a.mac = mac_for(ip);
    allocs_.push_back(std::move(a));
    last_ = ip;
    return ip;
  }
  throw Error("subnet " + subnet_.str() + " is exhausted: all " + std::to_string(count - 1) +
              " container addresses are in use");
}

void Ipam::set_state(const std::string& id, Allocation::State s) {
  for (auto& a : allocs_)
    if (a.container_id == id) a.state = s;
}

bool Ipam::release(const std::string& id) {
  auto it = std::find_if(allocs_.begin(), allocs_.end(), [&](const auto& a) { return a.container_id == id; });
  if (it == allocs_.end()) return false;
  allocs_.erase(it);
  return true;
}

void Ipam::save() const {
  json arr = json::array();
  for (const auto& a : allocs_) arr.push_back(alloc_to_json(a));
  json j{{"version", 1}, {"subnet", subnet_.str()}, {"last", last_.str()}, {"allocations", arr}};
  // Atomic (a killed writer leaves the old or the new file) but not forced to disk: what it records,
  // veths in namespaces, does not survive a reboot either, and after one every allocation is stale and
  // reclaimed. The fsyncs would cost more than the rest of an attach.
  write_file_atomic(path_, j.dump(1) + "\n", 0644, Durability::kVolatile);
}

}  // namespace skiff::net
