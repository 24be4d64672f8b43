// linux.resources: parsing with validation, and the v1 -> v2 value conversions.
#include <limits>

#include "cgroup.hpp"
#include "error.hpp"

namespace skiff {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& field, const std::string& why) {
  throw Error("linux.resources." + field + ": " + why);
}

std::optional<int64_t> get_i64(const json& obj, const char* key, const std::string& where, int64_t min) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  std::string f = where + "." + key;
  if (!it->is_number_integer()) bad(f, "expected an integer, got " + it->dump());
  int64_t v = it->is_number_unsigned() && it->get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())
                  ? (bad(f, "out of range"), 0)
                  : it->get<int64_t>();
  if (v < min) bad(f, "must not be less than " + std::to_string(min) + ", got " + std::to_string(v));
  return v;
}

std::optional<uint64_t> get_u64(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  std::string f = where + "." + key;
  if (!it->is_number_integer()) bad(f, "expected an unsigned integer, got " + it->dump());
  if (!it->is_number_unsigned() && it->get<int64_t>() < 0) bad(f, "must not be negative, got " + it->dump());
  return it->get<uint64_t>();
}

std::optional<bool> get_bool(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) bad(where + "." + key, "expected true or false, got " + it->dump());
  return it->get<bool>();
}

std::string get_str(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return "";
  if (!it->is_string()) bad(where + "." + key, "expected a string, got " + it->dump());
  return it->get<std::string>();
}

const json& object_at(const json& j, const char* key, const std::string& where) {
  static const json kNull;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return kNull;
  if (!it->is_object()) bad(where.empty() ? key : where + "." + key, "expected an object");
  return *it;
}

// A cpuset list: "0-3,5", digits, commas and dashes only.
void check_cpuset_list(const std::string& v, const std::string& field) {
  for (char c : v)
    if (!((c >= '0' && c <= '9') || c == ',' || c == '-'))
      bad(field, "\"" + v + "\" is not a list like 0-3,5");
}

std::vector<CgroupThrottleDevice> throttles(const json& bio, const char* key) {
  std::vector<CgroupThrottleDevice> out;
  auto it = bio.find(key);
  if (it == bio.end() || it->is_null()) return out;
  std::string f = std::string("blockIO.") + key;
  if (!it->is_array()) bad(f, "expected an array");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& d = (*it)[i];
    std::string w = f + "[" + std::to_string(i) + "]";
    if (!d.is_object()) bad(w, "expected an object");
    CgroupThrottleDevice t;
    t.major = get_i64(d, "major", w, 0).value_or(-1);
    t.minor = get_i64(d, "minor", w, 0).value_or(-1);
    if (t.major < 0 || t.minor < 0) bad(w, "major and minor are required");
    auto rate = get_u64(d, "rate", w);
    if (!rate) bad(w + ".rate", "is required");
    t.rate = *rate;
    out.push_back(t);
  }
  return out;
}

}  // namespace

CgroupResources parse_cgroup_resources(const json& j) {
  CgroupResources r;
  if (j.is_null()) return r;
  if (!j.is_object()) throw Error("linux.resources: expected an object");

  if (const json& m = object_at(j, "memory", ""); !m.is_null()) {
    CgroupResources::Memory mem;
    mem.limit = get_i64(m, "limit", "memory", -1);
    mem.reservation = get_i64(m, "reservation", "memory", -1);
    mem.swap = get_i64(m, "swap", "memory", -1);
    get_i64(m, "kernel", "memory", -1);     // deprecated; accepted and ignored as runc does
    get_i64(m, "kernelTCP", "memory", -1);  // likewise
    mem.swappiness = get_u64(m, "swappiness", "memory");
    if (mem.swappiness && *mem.swappiness > 100)
      bad("memory.swappiness", "must be 0..100, got " + std::to_string(*mem.swappiness));
    mem.disable_oom_killer = get_bool(m, "disableOOMKiller", "memory");
    get_bool(m, "useHierarchy", "memory");
    mem.check_before_update = get_bool(m, "checkBeforeUpdate", "memory").value_or(false);
    if (mem.limit && mem.swap && *mem.limit > 0 && *mem.swap > 0 && *mem.swap < *mem.limit)
      bad("memory.swap", "memory+swap (" + std::to_string(*mem.swap) + ") is below the memory limit (" +
                             std::to_string(*mem.limit) + ")");
    r.memory = mem;
  }
  if (const json& c = object_at(j, "cpu", ""); !c.is_null()) {
    CgroupResources::Cpu cpu;
    cpu.shares = get_u64(c, "shares", "cpu");
    if (cpu.shares && *cpu.shares != 0 && (*cpu.shares < 2 || *cpu.shares > 262144))
      bad("cpu.shares", "must be 2..262144, got " + std::to_string(*cpu.shares));
    cpu.quota = get_i64(c, "quota", "cpu", -1);
    cpu.period = get_u64(c, "period", "cpu");
    if (cpu.period && *cpu.period != 0 && (*cpu.period < 1000 || *cpu.period > 1000000))
      bad("cpu.period", "must be 1000..1000000 microseconds, got " + std::to_string(*cpu.period));
    if (cpu.quota && *cpu.quota > 0 && *cpu.quota < 1000)
      bad("cpu.quota", "must be at least 1000 microseconds, got " + std::to_string(*cpu.quota));
    cpu.burst = get_u64(c, "burst", "cpu");
    cpu.realtime_runtime = get_i64(c, "realtimeRuntime", "cpu", -1);
    cpu.realtime_period = get_u64(c, "realtimePeriod", "cpu");
    cpu.cpus = get_str(c, "cpus", "cpu");
    cpu.mems = get_str(c, "mems", "cpu");
    check_cpuset_list(cpu.cpus, "cpu.cpus");
    check_cpuset_list(cpu.mems, "cpu.mems");
    cpu.idle = get_i64(c, "idle", "cpu", 0);
    if (cpu.idle && *cpu.idle > 1) bad("cpu.idle", "must be 0 or 1");
    r.cpu = cpu;
  }
  if (const json& p = object_at(j, "pids", ""); !p.is_null()) {
    r.pids_limit = get_i64(p, "limit", "pids", -1);
  }
  if (const json& b = object_at(j, "blockIO", ""); !b.is_null()) {
    CgroupResources::BlockIO bio;
    auto weight = [&](const json& o, const char* key, const std::string& w) -> std::optional<uint16_t> {
      auto v = get_u64(o, key, w);
      if (!v) return std::nullopt;
      if (*v < 10 || *v > 1000) bad(w + "." + key, "must be 10..1000, got " + std::to_string(*v));
      return static_cast<uint16_t>(*v);
    };
    bio.weight = weight(b, "weight", "blockIO");
    bio.leaf_weight = weight(b, "leafWeight", "blockIO");
    if (auto it = b.find("weightDevice"); it != b.end() && !it->is_null()) {
      if (!it->is_array()) bad("blockIO.weightDevice", "expected an array");
      for (size_t i = 0; i < it->size(); ++i) {
        std::string w = "blockIO.weightDevice[" + std::to_string(i) + "]";
        const json& d = (*it)[i];
        if (!d.is_object()) bad(w, "expected an object");
        CgroupWeightDevice wd;
        wd.major = get_i64(d, "major", w, 0).value_or(-1);
        wd.minor = get_i64(d, "minor", w, 0).value_or(-1);
        if (wd.major < 0 || wd.minor < 0) bad(w, "major and minor are required");
        wd.weight = weight(d, "weight", w);
        wd.leaf_weight = weight(d, "leafWeight", w);
        bio.weight_device.push_back(wd);
      }
    }
    bio.read_bps = throttles(b, "throttleReadBpsDevice");
    bio.write_bps = throttles(b, "throttleWriteBpsDevice");
    bio.read_iops = throttles(b, "throttleReadIOPSDevice");
    bio.write_iops = throttles(b, "throttleWriteIOPSDevice");
    r.block_io = bio;
  }
  if (auto it = j.find("hugepageLimits"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) bad("hugepageLimits", "expected an array");
    for (size_t i = 0; i < it->size(); ++i) {
      std::string w = "hugepageLimits[" + std::to_string(i) + "]";
      const json& h = (*it)[i];
      if (!h.is_object()) bad(w, "expected an object");
      std::string size = get_str(h, "pageSize", w);
      if (size.empty() || size.find_first_of("/.") != std::string::npos)
        bad(w + ".pageSize", "expected a size like 2MB");
      auto limit = get_u64(h, "limit", w);
      if (!limit) bad(w + ".limit", "is required");
      r.hugepage_limits.emplace_back(size, *limit);
    }
  }
  if (const json& u = object_at(j, "unified", ""); !u.is_null()) {
    for (auto it = u.begin(); it != u.end(); ++it) {
      const std::string& key = it.key();
      if (key.empty() || key.find('/') != std::string::npos || key.find("..") != std::string::npos ||
          key.find('.') == std::string::npos)
        bad("unified", "\"" + key + "\" is not a cgroup v2 interface file name");
      if (!it->is_string()) bad("unified." + key, "expected a string");
      r.unified[key] = it->get<std::string>();
    }
  }
  if (auto it = j.find("devices"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) bad("devices", "expected an array");
    r.has_devices = true;
    for (size_t i = 0; i < it->size(); ++i) {
      std::string w = "devices[" + std::to_string(i) + "]";
      const json& d = (*it)[i];
      if (!d.is_object()) bad(w, "expected an object");
      CgroupDeviceRule rule;
      auto allow = get_bool(d, "allow", w);
      if (!allow) bad(w + ".allow", "is required");
      rule.allow = *allow;
      std::string type = get_str(d, "type", w);
      if (type.empty()) type = "a";
      if (type != "a" && type != "c" && type != "b")
        bad(w + ".type", "must be a, c or b, got \"" + type + "\"");
      rule.type = type[0];
      rule.major = get_i64(d, "major", w, -1).value_or(-1);
      rule.minor = get_i64(d, "minor", w, -1).value_or(-1);
      std::string access = get_str(d, "access", w);
      if (access.empty()) access = "rwm";
      for (char c : access)
        if (c != 'r' && c != 'w' && c != 'm')
          bad(w + ".access", "must be made of r, w, m; got \"" + access + "\"");
      rule.access = access;
      r.devices.push_back(rule);
    }
  }
  for (const char* key : {"network", "rdma"}) {
    if (auto it = j.find(key); it != j.end() && !it->is_null() && !it->empty())
      bad(key, "is not supported (no net_cls/net_prio/rdma controller is used)");
  }
  return r;
}

std::vector<CgroupDeviceRule> default_device_rules() {
  auto c = [](int64_t maj, int64_t min, const char* acc) {
    return CgroupDeviceRule{true, 'c', maj, min, acc};
  };
  return {
      c(-1, -1, "m"),    {true, 'b', -1, -1, "m"},  // mknod of any device (opening is what is controlled)
      c(1, 3, "rwm"),    c(1, 5, "rwm"),           c(1, 7, "rwm"),
      c(1, 8, "rwm"),    c(1, 9, "rwm"),                            // null zero full random urandom
      c(5, 0, "rwm"),    c(5, 1, "rwm"),           c(5, 2, "rwm"),  // tty console ptmx
      c(136, -1, "rwm"),                                            // /dev/pts/*
      c(10, 200, "rwm"),                                            // tun
  };
}

uint64_t cpu_shares_to_weight(uint64_t shares) {
  // shares 2..262144 map linearly onto weight 1..10000 (runc's formula); 0 means "unset".
  if (shares == 0) return 0;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  // blkio 10..1000 onto io 1..10000 (runc's formula); 0 means "unset".
  if (weight == 0) return 0;
  return 1 + (weight - 10) * 9999 / 990;
}

int64_t memory_swap_to_v2(int64_t swap, int64_t limit) {
  // v1's swap is memory+swap; v2's memory.swap.max is swap alone.
  if (swap == -1) return -1;
  if (swap == 0) return 0;
  if (limit <= 0) throw Error("linux.resources.memory.swap: a swap limit needs a memory limit");
  if (swap < limit) throw Error("linux.resources.memory.swap: memory+swap is below the memory limit");
  return swap - limit;
}

}  // namespace skiff
