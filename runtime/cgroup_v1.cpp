// The cgroup v1 driver: one directory per mounted controller hierarchy.
#include <signal.h>
#include <unistd.h>

#include <set>
#include <sstream>

#include "cgroup.hpp"
#include "error.hpp"

namespace skiff {
namespace {

using namespace cgroup_detail;

std::string dev(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

uint64_t read_u64_or(const std::string& dir, const std::string& file, uint64_t fallback) {
  try {
    return std::stoull(read(dir, file));
  } catch (...) {
    return fallback;
  }
}

std::string device_rule_text(const CgroupDeviceRule& r) {
  auto num = [](int64_t v) { return v < 0 ? std::string("*") : std::to_string(v); };
  if (r.type == 'a') return "a";
  return std::string(1, r.type) + " " + num(r.major) + ":" + num(r.minor) + " " + r.access;
}

class CgroupV1 final : public CgroupDriver {
 public:
  explicit CgroupV1(std::map<std::string, std::string> dirs) : dirs_(std::move(dirs)) {}

  void create() override {
    std::vector<std::string> done;
    try {
      for (const auto& dir : unique_dirs()) {
        auto created = mkdir_parents(dir);
        // A cgroup that already holds processes (in it or below) is someone else's: not ours to
        // join, nor to remove when we give up.
        if ((created.empty() || created.back() != dir) && !read_procs_recursive(dir).empty())
          throw Error("cgroup " + dir + " is in use by other processes");
        done.push_back(dir);
        // cpuset: a new cgroup starts with no cpus and mems, and nobody can join it until it has.
        if (has("cpuset") && dir == dirs_.at("cpuset")) {
          // Every ancestor, not only those made here: a parent another runtime has just made (the
          // shared default one comes and goes) may not have its cpus and mems yet.
          std::vector<std::string> chain;
          for (std::string d = dir; !is_hierarchy_root(d) && d.rfind('/') != 0; d = d.substr(0, d.rfind('/')))
            chain.push_back(d);
          for (auto it = chain.rbegin(); it != chain.rend(); ++it) inherit_cpuset(*it);
        }
      }
    } catch (...) {
      for (const auto& d : done) {
        try {
          remove_container_dir(d);
        } catch (...) {
        }
      }
      throw;
    }
  }

  void apply(const CgroupResources& r, bool update) override {
    if (!r.unified.empty())
      throw Error("linux.resources.unified: cgroup v2 keys cannot be set on a cgroup v1 host");
    if (r.memory) apply_memory(*r.memory, update);
    if (r.cpu) apply_cpu(*r.cpu);
    if (r.pids_limit && *r.pids_limit != 0)
      set("pids", "pids.max", *r.pids_limit < 0 ? "max" : std::to_string(*r.pids_limit));
    if (r.block_io && !r.block_io->empty()) apply_blkio(*r.block_io);
    for (const auto& [size, limit] : r.hugepage_limits)
      set("hugetlb", "hugetlb." + size + ".limit_in_bytes", std::to_string(limit));
    if (r.has_devices) apply_devices(r.devices);
  }

  void add_process(pid_t pid, bool) override {
    for (const auto& dir : unique_dirs()) write(dir, "cgroup.procs", std::to_string(pid));
  }

  void freeze() override { set_freezer("FROZEN"); }
  void thaw() override { set_freezer("THAWED"); }
  bool frozen() const override {
    if (!has("freezer")) return false;
    try {
      return read(dirs_.at("freezer"), "freezer.state").rfind("FROZEN", 0) == 0;
    } catch (const Error&) {
      return false;
    }
  }

  void kill_all(int sig) override {
    // v1 has no cgroup.kill: frozen, no process can fork a new one between our read and the signal.
    bool can_freeze = has("freezer");
    bool was_frozen = frozen();
    if (can_freeze && !was_frozen) freeze();
    signal_pids(pids(), sig);
    if (can_freeze && !was_frozen) thaw();
  }

  std::vector<pid_t> pids() const override {
    for (const char* c : {"pids", "freezer", "memory", "cpu", "devices"})
      if (has(c)) return read_procs_recursive(dirs_.at(c));
    if (!dirs_.empty()) return read_procs_recursive(dirs_.begin()->second);
    return {};
  }

  nlohmann::json stats() const override {
    nlohmann::json s = nlohmann::json::object();
    if (has("cpuacct") || has("cpu")) {
      nlohmann::json cpu;
      if (has("cpuacct")) {
        const std::string& d = dirs_.at("cpuacct");
        nlohmann::json percpu = nlohmann::json::array();
        try {
          std::istringstream in(read(d, "cpuacct.usage_percpu"));
          uint64_t v;
          while (in >> v) percpu.push_back(v);
        } catch (const Error&) {
        }
        // cpuacct.stat is in clock ticks; runc reports nanoseconds.
        auto st = read_flat_keyed(d, "cpuacct.stat");
        uint64_t tick_ns = 1000000000ULL / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
        cpu["usage"] = {{"total", read_u64_or(d, "cpuacct.usage", 0)},
                        {"percpu", percpu},
                        {"kernel", st["system"] * tick_ns},
                        {"user", st["user"] * tick_ns}};
      }
      if (has("cpu")) {
        auto st = read_flat_keyed(dirs_.at("cpu"), "cpu.stat");
        cpu["throttling"] = {{"periods", st["nr_periods"]},
                             {"throttledPeriods", st["nr_throttled"]},
                             {"throttledTime", st["throttled_time"]}};
      }
      s["cpu"] = cpu;
    }
    if (has("memory")) {
      const std::string& d = dirs_.at("memory");
      auto entry = [&](const std::string& prefix) {
        return nlohmann::json{{"usage", read_u64_or(d, prefix + "usage_in_bytes", 0)},
                              {"max", read_u64_or(d, prefix + "max_usage_in_bytes", 0)},
                              {"failcnt", read_u64_or(d, prefix + "failcnt", 0)},
                              {"limit", read_u64_or(d, prefix + "limit_in_bytes", 0)}};
      };
      nlohmann::json mem = {{"usage", entry("memory.")}, {"raw", read_flat_keyed(d, "memory.stat")}};
      if (exists(d, "memory.memsw.usage_in_bytes")) mem["swap"] = entry("memory.memsw.");
      if (exists(d, "memory.kmem.usage_in_bytes")) mem["kernel"] = entry("memory.kmem.");
      s["memory"] = mem;
    }
    if (has("pids")) {
      const std::string& d = dirs_.at("pids");
      s["pids"] = {{"current", read_u64_or(d, "pids.current", 0)}, {"limit", read_u64_or(d, "pids.max", 0)}};
    }
    if (has("blkio")) s["blkio"] = blkio_stats();
    return s;
  }

  uint64_t oom_kills() const override {
    if (!has("memory")) return 0;
    try {
      return read_flat_keyed(dirs_.at("memory"), "memory.oom_control")["oom_kill"];
    } catch (const Error&) {
      return 0;
    }
  }

  void destroy() override {
    std::vector<std::string> dirs = unique_dirs();
    bool any = false;
    for (const auto& d : dirs)
      if (::access(d.c_str(), F_OK) == 0 && !read_procs_recursive(d).empty()) any = true;
    if (any) {
      if (frozen()) thaw();
      kill_all(SIGKILL);
      for (const auto& d : dirs) wait_empty(d, 5000);
    }
    for (const auto& d : dirs) {
      for (const auto& sub : descendants(d)) remove_dir(sub);
      remove_container_dir(d);
    }
  }

  std::map<std::string, std::string> paths() const override { return dirs_; }
  std::string unified_path() const override { return ""; }

 private:
  bool has(const std::string& c) const { return dirs_.count(c) != 0; }

  std::vector<std::string> unique_dirs() const {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const auto& [c, d] : dirs_)
      if (seen.insert(d).second) out.push_back(d);
    return out;
  }

  void set(const char* controller, const std::string& file, const std::string& value) {
    auto it = dirs_.find(controller);
    if (it == dirs_.end())
      throw Error(std::string("cgroup v1: the ") + controller + " controller is not mounted (cannot set " +
                  file + ")");
    if (!exists(it->second, file))
      throw Error(std::string("cgroup v1: this kernel cannot enforce ") + file + " (no such file in " +
                  it->second + ")");
    write(it->second, file, value);
  }

  void inherit_cpuset(const std::string& dir) {
    std::string parent = dir.substr(0, dir.rfind('/'));
    for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
      std::string cur = read(dir, f);
      if (cur.find_first_not_of(" \n") != std::string::npos) continue;
      std::string p = read(parent, f);
      while (!p.empty() && p.back() == '\n') p.pop_back();
      write(dir, f, p);
    }
  }

  void set_freezer(const char* state) {
    if (!has("freezer")) throw Error("cgroup v1: the freezer controller is not mounted");
    const std::string& d = dirs_.at("freezer");
    write(d, "freezer.state", state);
    // FREEZING -> FROZEN can take a moment; re-writing the state retries tasks that were busy.
    for (int i = 0; i < 2000; ++i) {
      std::string cur = read(d, "freezer.state");
      if (cur.rfind(state, 0) == 0) return;
      if (i % 50 == 49) write(d, "freezer.state", state);
      ::usleep(1000);
    }
    throw Error(std::string("cgroup ") + d + " did not become " + state);
  }

  void apply_memory(const CgroupResources::Memory& m, bool update) {
    if (m.limit && update && m.check_before_update && *m.limit > 0) {
      uint64_t cur = read_u64_or(dirs_.at("memory"), "memory.usage_in_bytes", 0);
      if (cur >= uint64_t(*m.limit))
        throw Error("memory limit " + std::to_string(*m.limit) + " is below the current usage " +
                    std::to_string(cur));
    }
    auto val = [](int64_t v) { return std::to_string(v); };
    bool set_limit = m.limit && *m.limit != 0, set_swap = m.swap && *m.swap != 0;
    if (set_swap && !has_memsw()) {
      // No swap accounting (swapaccount=0 or no swap): what runc does too, the swap limit is skipped.
      set_swap = false;
    }
    if (set_limit && set_swap) {
      // memsw must stay >= limit at every step: raise memsw first when growing, limit first otherwise.
      uint64_t cur = read_u64_or(dirs_.at("memory"), "memory.limit_in_bytes", 0);
      bool growing = *m.limit == -1 || uint64_t(*m.limit) > cur;
      if (growing) {
        set("memory", "memory.memsw.limit_in_bytes", val(*m.swap));
        set("memory", "memory.limit_in_bytes", val(*m.limit));
      } else {
        set("memory", "memory.limit_in_bytes", val(*m.limit));
        set("memory", "memory.memsw.limit_in_bytes", val(*m.swap));
      }
    } else if (set_limit) {
      set("memory", "memory.limit_in_bytes", val(*m.limit));
    } else if (set_swap) {
      set("memory", "memory.memsw.limit_in_bytes", val(*m.swap));
    }
    if (m.reservation && *m.reservation != 0)
      set("memory", "memory.soft_limit_in_bytes", val(*m.reservation));
    if (m.swappiness) set("memory", "memory.swappiness", std::to_string(*m.swappiness));
    if (m.disable_oom_killer) set("memory", "memory.oom_control", *m.disable_oom_killer ? "1" : "0");
  }

  bool has_memsw() const {
    return has("memory") && exists(dirs_.at("memory"), "memory.memsw.limit_in_bytes");
  }

  void apply_cpu(const CgroupResources::Cpu& c) {
    if (c.shares && *c.shares) set("cpu", "cpu.shares", std::to_string(*c.shares));
    // Period before quota: a quota is checked against the period in place.
    if (c.period && *c.period) set("cpu", "cpu.cfs_period_us", std::to_string(*c.period));
    if (c.quota && *c.quota != 0) set("cpu", "cpu.cfs_quota_us", std::to_string(*c.quota));
    if (c.burst) set("cpu", "cpu.cfs_burst_us", std::to_string(*c.burst));
    if (c.realtime_period && *c.realtime_period)
      set("cpu", "cpu.rt_period_us", std::to_string(*c.realtime_period));
    if (c.realtime_runtime && *c.realtime_runtime != 0)
      set("cpu", "cpu.rt_runtime_us", std::to_string(*c.realtime_runtime));
    if (c.idle) set("cpu", "cpu.idle", std::to_string(*c.idle));
    if (!c.cpus.empty()) set("cpuset", "cpuset.cpus", c.cpus);
    if (!c.mems.empty()) set("cpuset", "cpuset.mems", c.mems);
  }

  void apply_blkio(const CgroupResources::BlockIO& b) {
    // blkio.weight exists with CFQ only; BFQ has blkio.bfq.weight with the same range.
    auto weight_file = [&](const char* plain, const char* bfq) -> std::string {
      if (!has("blkio")) return plain;
      return exists(dirs_.at("blkio"), plain) ? plain : bfq;
    };
    if (b.weight) set("blkio", weight_file("blkio.weight", "blkio.bfq.weight"), std::to_string(*b.weight));
    if (b.leaf_weight) set("blkio", "blkio.leaf_weight", std::to_string(*b.leaf_weight));
    for (const auto& d : b.weight_device) {
      if (d.weight)
        set("blkio", weight_file("blkio.weight_device", "blkio.bfq.weight_device"),
            dev(d.major, d.minor) + " " + std::to_string(*d.weight));
      if (d.leaf_weight)
        set("blkio", "blkio.leaf_weight_device",
            dev(d.major, d.minor) + " " + std::to_string(*d.leaf_weight));
    }
    auto throttle = [&](const std::vector<CgroupThrottleDevice>& list, const char* file) {
      for (const auto& t : list) set("blkio", file, dev(t.major, t.minor) + " " + std::to_string(t.rate));
    };
    throttle(b.read_bps, "blkio.throttle.read_bps_device");
    throttle(b.write_bps, "blkio.throttle.write_bps_device");
    throttle(b.read_iops, "blkio.throttle.read_iops_device");
    throttle(b.write_iops, "blkio.throttle.write_iops_device");
  }

  void apply_devices(const std::vector<CgroupDeviceRule>& spec_rules) {
    if (!has("devices")) throw Error("cgroup v1: the devices controller is not mounted");
    const std::string& d = dirs_.at("devices");
    // Start from "deny all" and replay the rules in order, then the defaults every container gets.
    write(d, "devices.deny", "a");
    std::vector<CgroupDeviceRule> rules = spec_rules;
    auto defaults = default_device_rules();
    rules.insert(rules.end(), defaults.begin(), defaults.end());
    for (const auto& r : rules) {
      // "a" in devices.allow would ask for more than the parent may have: only at the top level.
      write(d, r.allow ? "devices.allow" : "devices.deny", device_rule_text(r));
    }
  }

  nlohmann::json blkio_stats() const {
    nlohmann::json bytes = nlohmann::json::array(), ios = nlohmann::json::array();
    auto parse = [&](const char* file, nlohmann::json& out) {
      std::string text;
      try {
        text = read(dirs_.at("blkio"), file);
      } catch (const Error&) {
        return;
      }
      std::istringstream in(text);
      std::string devno, op;
      uint64_t v;
      while (in >> devno) {
        if (devno == "Total") {
          in >> v;
          continue;
        }
        if (!(in >> op >> v)) break;
        auto colon = devno.find(':');
        if (colon == std::string::npos) continue;
        out.push_back({{"major", std::stoull(devno.substr(0, colon))},
                       {"minor", std::stoull(devno.substr(colon + 1))},
                       {"op", op},
                       {"value", v}});
      }
    };
    parse("blkio.throttle.io_service_bytes_recursive", bytes);
    parse("blkio.throttle.io_serviced_recursive", ios);
    return {{"ioServiceBytesRecursive", bytes}, {"ioServicedRecursive", ios}};
  }

  std::map<std::string, std::string> dirs_;
};

}  // namespace

std::unique_ptr<CgroupDriver> make_cgroup_v1(std::map<std::string, std::string> controller_dirs) {
  return std::make_unique<CgroupV1>(std::move(controller_dirs));
}

}  // namespace skiff
