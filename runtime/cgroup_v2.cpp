// The cgroup v2 driver: one directory in the unified hierarchy (and whatever sub-cgroups the
// container makes in it).
#include <signal.h>
#include <unistd.h>

#include <sstream>

#include "cgroup.hpp"
#include "cgroup_devices_bpf.hpp"
#include "error.hpp"

namespace skiff {
namespace {

using namespace cgroup_detail;

std::string dev(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

std::string max_or(int64_t v) {
  return v < 0 ? "max" : std::to_string(v);
}

uint64_t read_u64_or(const std::string& dir, const std::string& file, uint64_t fallback) {
  try {
    std::string v = read(dir, file);
    if (v.rfind("max", 0) == 0) return fallback;
    return std::stoull(v);
  } catch (...) {
    return fallback;
  }
}

class CgroupV2 final : public CgroupDriver {
 public:
  explicit CgroupV2(std::string dir) : dir_(std::move(dir)) {}

  void create() override {
    auto created = mkdir_parents(dir_);
    // Every parent we made passes on the controllers it has, so the leaf can use them. Parents that
    // existed before are left as they are: they are not ours to reconfigure.
    for (size_t i = 0; i + 1 < created.size(); ++i) enable_controllers(created[i]);
    // The shared default parent may have just been made by another runtime that has not enabled
    // its controllers yet (it comes and goes with the containers in it): enabling is idempotent.
    std::string parent = dir_.substr(0, dir_.rfind('/'));
    if ((created.empty() || created.front() != parent) && is_default_parent(parent))
      enable_controllers(parent);
    if (created.empty() || created.back() != dir_) {
      // The leaf existed. A fresh cgroup per container: after cgroup.kill (6.18) a cgroup kills
      // whatever clone3(CLONE_INTO_CGROUP) puts in it, so an empty leaf is made anew.
      if (!read_procs(dir_).empty()) throw Error("cgroup " + dir_ + " is in use by other processes");
      if (!descendants(dir_).empty())
        throw Error("cgroup " + dir_ + " already exists with sub-cgroups (not a container's fresh cgroup)");
      remove_dir(dir_);
      mkdir_parents(dir_);
    }
  }

  void apply(const CgroupResources& r, bool update) override {
    if (r.memory) apply_memory(*r.memory, update);
    if (r.cpu) apply_cpu(*r.cpu);
    if (r.pids_limit && *r.pids_limit != 0) set("pids", "pids.max", max_or(*r.pids_limit));
    if (r.block_io && !r.block_io->empty()) apply_io(*r.block_io);
    for (const auto& [size, limit] : r.hugepage_limits)
      set("hugetlb", "hugetlb." + size + ".max", std::to_string(limit));
    for (const auto& [key, value] : r.unified) {
      if (!exists(dir_, key))
        throw Error("linux.resources.unified: \"" + key + "\" is not a file of cgroup " + dir_ +
                    " (unknown key, or its controller is not enabled)");
      write(dir_, key, value);
    }
    if (r.has_devices) {
      std::vector<CgroupDeviceRule> rules = r.devices;
      auto defaults = default_device_rules();
      rules.insert(rules.end(), defaults.begin(), defaults.end());
      attach_device_program(dir_, rules);
    }
  }

  void add_process(pid_t pid, bool except_unified) override {
    if (except_unified) return;
    write(dir_, "cgroup.procs", std::to_string(pid));
  }
  void freeze() override {
    write(dir_, "cgroup.freeze", "1");
    wait_frozen_state(true);
  }
  void thaw() override {
    write(dir_, "cgroup.freeze", "0");
    wait_frozen_state(false);
  }
  bool frozen() const override {
    try {
      return read_flat_keyed(dir_, "cgroup.events")["frozen"] == 1;
    } catch (const Error&) {
      return false;
    }
  }
  void kill_all(int sig) override {
    if (sig == SIGKILL && exists(dir_, "cgroup.kill")) {
      write(dir_, "cgroup.kill", "1");
      return;
    }
    // Frozen, nobody forks while we signal; thawed again so the signal is acted on.
    bool was_frozen = frozen();
    if (!was_frozen) freeze();
    signal_pids(read_procs_recursive(dir_), sig);
    if (!was_frozen) thaw();
  }
  std::vector<pid_t> pids() const override { return read_procs_recursive(dir_); }

  nlohmann::json stats() const override {
    nlohmann::json s = nlohmann::json::object();
    if (exists(dir_, "cpu.stat")) {
      auto c = read_flat_keyed(dir_, "cpu.stat");
      s["cpu"] = {{"usage",
                   {{"total", c["usage_usec"] * 1000},
                    {"kernel", c["system_usec"] * 1000},
                    {"user", c["user_usec"] * 1000}}},
                  {"throttling",
                   {{"periods", c["nr_periods"]},
                    {"throttledPeriods", c["nr_throttled"]},
                    {"throttledTime", c["throttled_usec"] * 1000}}}};
    }
    if (exists(dir_, "memory.current")) {
      auto raw = read_flat_keyed(dir_, "memory.stat");
      auto events = read_flat_keyed(dir_, "memory.events");
      s["memory"] = {{"usage",
                      {{"usage", read_u64_or(dir_, "memory.current", 0)},
                       {"max", read_u64_or(dir_, "memory.peak", 0)},
                       {"limit", read_u64_or(dir_, "memory.max", UINT64_MAX)},
                       {"failcnt", events["max"]}}},
                     {"swap",
                      {{"usage", read_u64_or(dir_, "memory.swap.current", 0)},
                       {"limit", read_u64_or(dir_, "memory.swap.max", UINT64_MAX)}}},
                     {"raw", raw}};
    }
    if (exists(dir_, "pids.current"))
      s["pids"] = {{"current", read_u64_or(dir_, "pids.current", 0)},
                   {"limit", read_u64_or(dir_, "pids.max", 0)}};
    if (exists(dir_, "io.stat")) s["blkio"] = io_stats();
    return s;
  }

  uint64_t oom_kills() const override {
    if (!exists(dir_, "memory.events")) return 0;
    return read_flat_keyed(dir_, "memory.events")["oom_kill"];
  }

  void destroy() override {
    if (::access(dir_.c_str(), F_OK) != 0) return;
    // "populated" counts the sub-cgroups' processes too; cgroup.kill reaches them as well.
    if (populated()) {
      kill_all(SIGKILL);
      for (int waited = 0; populated() && waited < 5000; waited += 5) ::usleep(5000);
    }
    for (const auto& sub : descendants(dir_)) remove_dir(sub);
    remove_container_dir(dir_);
  }

  std::map<std::string, std::string> paths() const override { return {{"unified", dir_}}; }
  std::string unified_path() const override { return dir_; }

 private:
  void set(const char* controller, const std::string& file, const std::string& value) {
    if (!exists(dir_, file))
      throw Error(std::string("cgroup v2: the ") + controller + " controller is not enabled for " + dir_ +
                  " (cannot set " + file + ")");
    write(dir_, file, value);
  }

  void enable_controllers(const std::string& dir) {
    std::istringstream in(read(dir, "cgroup.controllers"));
    std::string c;
    while (in >> c) {
      try {
        write(dir, "cgroup.subtree_control", "+" + c);
      } catch (const Error&) {
        // A controller the kernel lists but will not delegate here: the leaf will lack it and
        // any limit asking for it fails there, naming the file.
      }
    }
  }

  bool populated() const {
    try {
      return read_flat_keyed(dir_, "cgroup.events")["populated"] == 1;
    } catch (const Error&) {
      return !read_procs_recursive(dir_).empty();
    }
  }

  void wait_frozen_state(bool want) {
    for (int i = 0; i < 2000; ++i) {
      if (frozen() == want) return;
      ::usleep(1000);
    }
    throw Error(std::string("cgroup ") + dir_ + " did not become " + (want ? "frozen" : "thawed"));
  }

  void apply_memory(const CgroupResources::Memory& m, bool update) {
    if (m.limit) {
      if (update && m.check_before_update && *m.limit > 0) {
        uint64_t cur = read_u64_or(dir_, "memory.current", 0);
        if (cur >= uint64_t(*m.limit))
          throw Error("memory limit " + std::to_string(*m.limit) + " is below the current usage " +
                      std::to_string(cur));
      }
    }
    // swap first when lowering memory (memory.swap.max does not depend on memory.max on v2, but a
    // swap value derived from a new limit must be computed from that limit).
    if (m.swap && *m.swap != 0) {
      int64_t limit = m.limit ? *m.limit : -1;
      if (limit == -1 && *m.swap != -1) {
        uint64_t cur = read_u64_or(dir_, "memory.max", 0);
        limit = cur ? int64_t(cur) : -1;
      }
      set("memory", "memory.swap.max", max_or(memory_swap_to_v2(*m.swap, limit)));
    }
    if (m.limit && *m.limit != 0) set("memory", "memory.max", max_or(*m.limit));
    if (m.reservation && *m.reservation != 0) set("memory", "memory.low", max_or(*m.reservation));
    if (m.swappiness) throw Error("linux.resources.memory.swappiness: not supported on cgroup v2");
    if (m.disable_oom_killer.value_or(false))
      throw Error("linux.resources.memory.disableOOMKiller: not supported on cgroup v2");
  }

  void apply_cpu(const CgroupResources::Cpu& c) {
    if (c.shares && *c.shares) set("cpu", "cpu.weight", std::to_string(cpu_shares_to_weight(*c.shares)));
    if ((c.quota && *c.quota != 0) || (c.period && *c.period != 0)) {
      std::string v = c.quota && *c.quota > 0 ? std::to_string(*c.quota) : "max";
      if (c.quota && *c.quota == 0) {
        // Only the period changes: keep the current quota.
        std::string cur = exists(dir_, "cpu.max") ? read(dir_, "cpu.max") : "max";
        v = cur.substr(0, cur.find(' '));
      }
      if (c.period && *c.period) v += " " + std::to_string(*c.period);
      set("cpu", "cpu.max", v);
    }
    if (c.burst) set("cpu", "cpu.max.burst", std::to_string(*c.burst));
    if ((c.realtime_runtime && *c.realtime_runtime != 0) || (c.realtime_period && *c.realtime_period != 0))
      throw Error("linux.resources.cpu.realtimeRuntime/realtimePeriod: not supported on cgroup v2");
    if (c.idle) set("cpu", "cpu.idle", std::to_string(*c.idle));
    if (!c.cpus.empty()) set("cpuset", "cpuset.cpus", c.cpus);
    if (!c.mems.empty()) set("cpuset", "cpuset.mems", c.mems);
  }

  void apply_io(const CgroupResources::BlockIO& b) {
    // io.bfq.weight takes blkio's range as is; io.weight needs the conversion.
    bool bfq = exists(dir_, "io.bfq.weight");
    if (b.weight) {
      if (bfq)
        write(dir_, "io.bfq.weight", std::to_string(*b.weight));
      else
        set("io", "io.weight", "default " + std::to_string(blkio_weight_to_io_weight(*b.weight)));
    }
    if (b.leaf_weight) throw Error("linux.resources.blockIO.leafWeight: not supported on cgroup v2");
    for (const auto& d : b.weight_device) {
      if (!d.weight) continue;
      if (bfq)
        write(dir_, "io.bfq.weight", dev(d.major, d.minor) + " " + std::to_string(*d.weight));
      else
        set("io", "io.weight",
            dev(d.major, d.minor) + " " + std::to_string(blkio_weight_to_io_weight(*d.weight)));
    }
    auto throttle = [&](const std::vector<CgroupThrottleDevice>& list, const char* key) {
      for (const auto& t : list)
        set("io", "io.max",
            dev(t.major, t.minor) + " " + key + "=" + (t.rate ? std::to_string(t.rate) : "max"));
    };
    throttle(b.read_bps, "rbps");
    throttle(b.write_bps, "wbps");
    throttle(b.read_iops, "riops");
    throttle(b.write_iops, "wiops");
  }

  nlohmann::json io_stats() const {
    // runc's shape: ioServiceBytesRecursive / ioServicedRecursive entries per device and op.
    nlohmann::json bytes = nlohmann::json::array(), ios = nlohmann::json::array();
    std::istringstream in(read(dir_, "io.stat"));
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream l(line);
      std::string devno, kv;
      l >> devno;
      auto colon = devno.find(':');
      if (colon == std::string::npos) continue;
      uint64_t major = std::stoull(devno.substr(0, colon)), minor = std::stoull(devno.substr(colon + 1));
      while (l >> kv) {
        auto eq = kv.find('=');
        if (eq == std::string::npos) continue;
        std::string k = kv.substr(0, eq);
        uint64_t v = std::stoull(kv.substr(eq + 1));
        auto entry = [&](const char* op) {
          return nlohmann::json{{"major", major}, {"minor", minor}, {"op", op}, {"value", v}};
        };
        if (k == "rbytes") bytes.push_back(entry("Read"));
        if (k == "wbytes") bytes.push_back(entry("Write"));
        if (k == "rios") ios.push_back(entry("Read"));
        if (k == "wios") ios.push_back(entry("Write"));
      }
    }
    return {{"ioServiceBytesRecursive", bytes}, {"ioServicedRecursive", ios}};
  }

  std::string dir_;
};

}  // namespace

std::unique_ptr<CgroupDriver> make_cgroup_v2(std::string dir) {
  return std::make_unique<CgroupV2>(std::move(dir));
}

}  // namespace skiff
