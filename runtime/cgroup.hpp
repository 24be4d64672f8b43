// cgroups of a container: host detection (pure v2, hybrid, pure v1), linux.cgroupsPath resolution, and
// the driver interface that create/delete/ps/kill/pause/update/events go through. The v1 driver lives
// in cgroup_v1.cpp, the v2 driver in cgroup_v2.cpp, the hybrid composition and the factory in
// cgroup_host.cpp; linux.resources parsing and the v1<->v2 conversions in cgroup_resources.cpp.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace skiff {

// ---- linux.resources, parsed and validated ----

struct CgroupDeviceRule {
  bool allow = false;
  char type = 'a';     // a, c, b
  int64_t major = -1;  // -1: any
  int64_t minor = -1;
  std::string access = "rwm";
};

struct CgroupWeightDevice {
  int64_t major = 0, minor = 0;
  std::optional<uint16_t> weight, leaf_weight;
};

struct CgroupThrottleDevice {
  int64_t major = 0, minor = 0;
  uint64_t rate = 0;
};

struct CgroupResources {
  struct Memory {
    std::optional<int64_t> limit, reservation, swap;  // -1: unlimited
    std::optional<uint64_t> swappiness;
    std::optional<bool> disable_oom_killer;
    bool check_before_update = false;
  };
  struct Cpu {
    std::optional<uint64_t> shares;
    std::optional<int64_t> quota;  // -1: unlimited
    std::optional<uint64_t> period, burst;
    std::optional<int64_t> realtime_runtime;
    std::optional<uint64_t> realtime_period;
    std::string cpus, mems;
    std::optional<int64_t> idle;
  };
  struct BlockIO {
    std::optional<uint16_t> weight, leaf_weight;
    std::vector<CgroupWeightDevice> weight_device;
    std::vector<CgroupThrottleDevice> read_bps, write_bps, read_iops, write_iops;
    bool empty() const {
      return !weight && !leaf_weight && weight_device.empty() && read_bps.empty() && write_bps.empty() &&
             read_iops.empty() && write_iops.empty();
    }
  };
  std::optional<Memory> memory;
  std::optional<Cpu> cpu;
  std::optional<int64_t> pids_limit;  // 0: unchanged, -1: unlimited
  std::optional<BlockIO> block_io;
  std::vector<std::pair<std::string, uint64_t>> hugepage_limits;  // page size ("2MB"), bytes
  std::map<std::string, std::string> unified;
  std::vector<CgroupDeviceRule> devices;
  bool has_devices = false;  // linux.resources.devices was given (possibly empty)
};

// Parses linux.resources (null: nothing). Throws Error("linux.resources.<field>: why") on malformed or
// out-of-range values.
CgroupResources parse_cgroup_resources(const nlohmann::json& j);

// The devices every container may use (runc's defaults: null, zero, full, random, urandom, tty,
// console, ptmx, pts) plus the spec's linux.devices, appended after the spec's rules.
std::vector<CgroupDeviceRule> default_device_rules();

// Conversions used on cgroup v2 (the same formulas as runc).
uint64_t cpu_shares_to_weight(uint64_t shares);
uint64_t blkio_weight_to_io_weight(uint64_t weight);
// memory.swap.max from the spec's memory+swap total; -1 means "max". Throws on swap < limit.
int64_t memory_swap_to_v2(int64_t swap, int64_t limit);

// ---- the host ----

enum class CgroupLayout { v2, hybrid, v1, none };
const char* cgroup_layout_name(CgroupLayout l);

struct CgroupHost {
  CgroupLayout layout = CgroupLayout::none;
  std::string unified_mount;                      // cgroup2 mount point ("" if none)
  std::map<std::string, std::string> v1_mounts;   // controller -> mount point (v1 only)
  std::map<std::string, std::string> self_paths;  // controller (or "" for v2) -> our own cgroup path
};

// Reads /proc/self/mountinfo and /proc/self/cgroup. Only mounts under /sys/fs/cgroup count.
CgroupHost detect_cgroup_host();

// linux.cgroupsPath as runc's cgroupfs driver reads it: "" -> "/skiff/<id>" (rootless on v2: next to the
// caller's own cgroup, see new_cgroup_driver); absolute paths are from
// the hierarchy root; relative ones from the caller's own cgroup (per hierarchy, `self`). Rejects "..".
std::string resolve_cgroups_path(const std::string& spec_path, const std::string& id,
                                 const std::string& self = "/");

// ---- the driver ----

class CgroupDriver {
 public:
  virtual ~CgroupDriver() = default;
  // Creates the cgroup directories (and parents, set up so a child can join).
  virtual void create() = 0;
  // Writes the resources. `update`: a live container (memory.checkBeforeUpdate applies).
  virtual void apply(const CgroupResources& r, bool update) = 0;
  // Moves pid into the cgroups (those not joined through clone3 when `except_unified`).
  virtual void add_process(pid_t pid, bool except_unified = false) = 0;
  virtual void freeze() = 0;
  virtual void thaw() = 0;
  virtual bool frozen() const = 0;
  // Signals every process in the cgroup (no process escapes by forking meanwhile).
  virtual void kill_all(int sig) = 0;
  virtual std::vector<pid_t> pids() const = 0;
  // runc's `events --stats` "data" object.
  virtual nlohmann::json stats() const = 0;
  // How many times the OOM killer has killed in the cgroup (0 if not known).
  virtual uint64_t oom_kills() const = 0;
  // Kills what is left and removes the directories. Missing directories are fine.
  virtual void destroy() = 0;
  // Hierarchy name ("memory", ..., "unified") -> directory; stored in state.json.
  virtual std::map<std::string, std::string> paths() const = 0;
  // The v2 directory a clone3(CLONE_INTO_CGROUP) may target, or "".
  virtual std::string unified_path() const = 0;
};

// The driver for a new container on this host. Returns nullptr when cgroups cannot be used (rootless
// without a writable delegated v2 subtree): `why` then says so.
std::unique_ptr<CgroupDriver> new_cgroup_driver(const CgroupHost& host, const std::string& cgroups_path,
                                                const std::string& id, std::string* why);
// The driver of an existing container, from the paths stored in its state.
std::unique_ptr<CgroupDriver> open_cgroup_driver(const std::map<std::string, std::string>& paths);

// Driver constructors (cgroup_v1.cpp, cgroup_v2.cpp), exposed for tests.
std::unique_ptr<CgroupDriver> make_cgroup_v1(std::map<std::string, std::string> controller_dirs);
std::unique_ptr<CgroupDriver> make_cgroup_v2(std::string dir);
// Hybrid: v2 for freeze/kill/pids/events and its enabled controllers, v1 for the rest.
std::unique_ptr<CgroupDriver> make_cgroup_hybrid(std::unique_ptr<CgroupDriver> v1,
                                                 std::unique_ptr<CgroupDriver> v2);

// Helpers shared by the drivers.
namespace cgroup_detail {
// Writes `value` to dir/file (no trailing newline needed). Throws Error naming the file.
void write(const std::string& dir, const std::string& file, const std::string& value);
std::string read(const std::string& dir, const std::string& file);
bool exists(const std::string& dir, const std::string& file);
// Reads "key value" lines (memory.stat, cpu.stat, memory.events) into a map.
std::map<std::string, uint64_t> read_flat_keyed(const std::string& dir, const std::string& file);
std::vector<pid_t> read_procs(const std::string& dir);
// Every cgroup below dir, deepest first. A container may put its processes in sub-cgroups of its own
// (systemd or a nested runtime in it does); they count as the container's and go with it.
std::vector<std::string> descendants(const std::string& dir);
// The processes of dir and of every cgroup below it.
std::vector<pid_t> read_procs_recursive(const std::string& dir);
// mkdir -p; returns the directories it created (outermost first). A parent removed under it by a
// concurrent delete (remove_container_dir) is made again.
std::vector<std::string> mkdir_parents(const std::string& dir);
// rmdir with retries while the cgroup still holds exiting tasks. Missing is fine.
void remove_dir(const std::string& dir);
// The root of a mounted hierarchy (its kernfs inode is 1), not a cgroup anyone made.
bool is_hierarchy_root(const std::string& dir);
// The parent skiff makes by default (no linux.cgroupsPath): "skiff" right under a hierarchy's root.
bool is_default_parent(const std::string& dir);
// remove_dir, then the default parent `<hierarchy root>/skiff` too once no container is left in it.
void remove_container_dir(const std::string& dir);
// Waits until no process is left in dir or below (at most timeout_ms); true if none is.
bool wait_empty(const std::string& dir, int timeout_ms);
void signal_pids(const std::vector<pid_t>& pids, int sig);
}  // namespace cgroup_detail

}  // namespace skiff
