// Which cgroup layout this host has, where a container's cgroups go, and the driver for it.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <sstream>

#include "cgroup.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "rootless.hpp"
#include "unique_fd.hpp"

namespace skiff {

// ---- helpers shared by the drivers ----
namespace cgroup_detail {

void write(const std::string& dir, const std::string& file, const std::string& value) {
  std::string path = dir + "/" + file;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw Error(errno, "open " + path);
  // One write() per value: cgroup files parse each write as one command.
  if (::write(fd.get(), value.data(), value.size()) < 0)
    throw Error(errno, "write \"" + value + "\" to " + path);
}

std::string read(const std::string& dir, const std::string& file) {
  return read_file(dir + "/" + file);
}

bool exists(const std::string& dir, const std::string& file) {
  return ::access((dir + "/" + file).c_str(), F_OK) == 0;
}

std::map<std::string, uint64_t> read_flat_keyed(const std::string& dir, const std::string& file) {
  std::map<std::string, uint64_t> out;
  std::istringstream in(read(dir, file));
  std::string key;
  uint64_t value;
  while (in >> key >> value) out[key] = value;
  return out;
}

std::vector<pid_t> read_procs(const std::string& dir) {
  std::vector<pid_t> out;
  std::string text;
  try {
    text = read(dir, "cgroup.procs");
  } catch (const Error& e) {
    if (e.err() == ENOENT) return out;
    throw;
  }
  std::istringstream in(text);
  pid_t p;
  while (in >> p) out.push_back(p);
  return out;
}

std::vector<std::string> descendants(const std::string& dir) {
  std::vector<std::string> children;
  {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) return {};
    while (const dirent* e = ::readdir(d.get())) {
      std::string name = e->d_name;
      // cgroupfs fills d_type: its only directories are child cgroups.
      if (e->d_type == DT_DIR && name != "." && name != "..") children.push_back(dir + "/" + name);
    }
  }
  std::vector<std::string> out;
  for (const auto& child : children) {
    auto below = descendants(child);
    out.insert(out.end(), below.begin(), below.end());
    out.push_back(child);
  }
  return out;
}

std::vector<pid_t> read_procs_recursive(const std::string& dir) {
  std::vector<pid_t> out = read_procs(dir);
  for (const auto& sub : descendants(dir)) {
    auto more = read_procs(sub);
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

std::vector<std::string> mkdir_parents(const std::string& dir) {
  std::vector<std::string> created;
  std::string cur;
  size_t pos = 1;
  int restarts = 0;
  while (pos <= dir.size()) {
    size_t next = dir.find('/', pos);
    if (next == std::string::npos) next = dir.size();
    cur = dir.substr(0, next);
    pos = next + 1;
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), 0755) == 0) {
      created.push_back(cur);
      // The caller's umask must not decide who may enter a shared parent (a library caller with umask
      // 027 made /skiff 0750, and containers in user namespaces could no longer bind their cgroups).
      if (::chmod(cur.c_str(), 0755) < 0) throw Error(errno, "chmod cgroup " + cur);
    } else if (errno == ENOENT && ++restarts < 100) {
      // The last container of another runtime took the shared parent away between our steps.
      pos = 1;
    } else if (errno != EEXIST) {
      throw Error(errno, "create cgroup " + cur);
    }
  }
  return created;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (::nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

bool wait_empty(const std::string& dir, int timeout_ms) {
  for (int waited = 0;; waited += 5) {
    if (read_procs_recursive(dir).empty()) return true;
    if (waited >= timeout_ms) return false;
    sleep_ms(5);
  }
}

void remove_dir(const std::string& dir) {
  // A cgroup whose last task is exiting (not yet reaped) is still busy for a moment.
  for (int i = 0; i < 1000; ++i) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY) throw Error(errno, "remove cgroup " + dir);
    sleep_ms(5);
  }
  throw Error(EBUSY, "remove cgroup " + dir);
}

bool is_default_parent(const std::string& dir) {
  size_t slash = dir.rfind('/');
  return slash != std::string::npos && slash != 0 &&
         dir.compare(slash + 1, std::string::npos, "skiff") == 0 && is_hierarchy_root(dir.substr(0, slash));
}

void remove_container_dir(const std::string& dir) {
  remove_dir(dir);
  // Another container still in the default parent keeps it (EBUSY).
  std::string parent = dir.substr(0, dir.rfind('/'));
  if (is_default_parent(parent)) ::rmdir(parent.c_str());
}

bool is_hierarchy_root(const std::string& dir) {
  struct stat st;
  return ::stat(dir.c_str(), &st) == 0 && st.st_ino == 1;
}

void signal_pids(const std::vector<pid_t>& pids, int sig) {
  for (pid_t p : pids) {
    // Through a pidfd: a pid read from cgroup.procs may have been reused by the time we signal.
    UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, p, 0)));
    if (fd) ::syscall(SYS_pidfd_send_signal, fd.get(), sig, nullptr, 0);
  }
}

}  // namespace cgroup_detail

const char* cgroup_layout_name(CgroupLayout l) {
  switch (l) {
    case CgroupLayout::v2:
      return "v2";
    case CgroupLayout::hybrid:
      return "hybrid";
    case CgroupLayout::v1:
      return "v1";
    case CgroupLayout::none:
      return "none";
  }
  return "?";
}

namespace {

const std::set<std::string> kV1Controllers = {"cpu",     "cpuacct", "cpuset", "memory", "devices",
                                              "freezer", "blkio",   "pids",   "hugetlb"};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

}  // namespace

CgroupHost detect_cgroup_host() {
  CgroupHost h;
  std::istringstream mi(read_file("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(mi, line)) {
    // "id parent maj:min root mountpoint opts [optional...] - fstype source superopts"
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    auto pre = split(line.substr(0, dash), ' ');
    auto post = split(line.substr(dash + 3), ' ');
    if (pre.size() < 5 || post.size() < 3) continue;
    const std::string& mnt = pre[4];
    if (mnt.rfind("/sys/fs/cgroup", 0) != 0) continue;
    if (post[0] == "cgroup2") {
      h.unified_mount = mnt;
    } else if (post[0] == "cgroup") {
      for (const auto& opt : split(post[2], ','))
        if (kV1Controllers.count(opt) && !h.v1_mounts.count(opt)) h.v1_mounts[opt] = mnt;
    }
  }
  if (!h.unified_mount.empty() && h.v1_mounts.empty())
    h.layout = CgroupLayout::v2;
  else if (!h.unified_mount.empty())
    h.layout = CgroupLayout::hybrid;
  else if (!h.v1_mounts.empty())
    h.layout = CgroupLayout::v1;
  // Our own cgroups: "ID:controllers:path" (v2 has ID 0 and no controllers).
  std::istringstream cg(read_file("/proc/self/cgroup"));
  while (std::getline(cg, line)) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string ctrls = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (ctrls.empty()) {
      h.self_paths[""] = path;
      continue;
    }
    for (const auto& c : split(ctrls, ',')) h.self_paths[c] = path;
  }
  return h;
}

std::string resolve_cgroups_path(const std::string& spec_path, const std::string& id,
                                 const std::string& self) {
  std::string p = spec_path.empty() ? "/skiff/" + id : spec_path;
  for (const auto& part : split(p, '/'))
    if (part == "..") throw Error("linux.cgroupsPath \"" + spec_path + "\": \"..\" is not allowed");
  if (p[0] != '/') p = (self == "/" ? "" : self) + "/" + p;
  // Clean: no double or trailing slashes, no "." parts.
  std::string out;
  for (const auto& part : split(p, '/')) {
    if (part.empty() || part == ".") continue;
    out += "/" + part;
  }
  if (out.empty())
    throw Error("linux.cgroupsPath \"" + spec_path + "\": the root cgroup cannot be a container's");
  return out;
}

namespace {

// Hybrid: the unified hierarchy holds the container too (freeze, kill, pids, events, and whatever
// controller v2 has that v1 lacks); every resource goes to v2 when v2 can enforce it, else to v1.
class HybridCgroup final : public CgroupDriver {
 public:
  HybridCgroup(std::unique_ptr<CgroupDriver> v1, std::unique_ptr<CgroupDriver> v2)
      : v1_(std::move(v1)), v2_(std::move(v2)) {}

  void create() override {
    v1_->create();
    try {
      v2_->create();
    } catch (...) {
      v1_->destroy();
      throw;
    }
  }
  void apply(const CgroupResources& r, bool update) override {
    // v2 takes what its enabled controllers can do (hugetlb, unified keys); v1 the rest.
    std::string controllers;
    try {
      controllers = cgroup_detail::read(v2_->unified_path(), "cgroup.controllers");
    } catch (const Error&) {
    }
    auto has = [&](const char* c) {
      return (" " + controllers + " ").find(std::string(" ") + c) != std::string::npos;
    };
    CgroupResources for_v1 = r, for_v2;
    if (!r.unified.empty()) {
      for_v2.unified = r.unified;
      for_v1.unified.clear();
    }
    if (!r.hugepage_limits.empty() && has("hugetlb")) {
      for_v2.hugepage_limits = r.hugepage_limits;
      for_v1.hugepage_limits.clear();
    }
    v1_->apply(for_v1, update);
    v2_->apply(for_v2, update);
  }
  void add_process(pid_t pid, bool except_unified) override {
    v1_->add_process(pid);
    if (!except_unified) v2_->add_process(pid);
  }
  void freeze() override { v2_->freeze(); }
  void thaw() override { v2_->thaw(); }
  bool frozen() const override { return v2_->frozen(); }
  void kill_all(int sig) override { v2_->kill_all(sig); }
  std::vector<pid_t> pids() const override { return v2_->pids(); }
  nlohmann::json stats() const override {
    nlohmann::json s = v1_->stats();
    nlohmann::json s2 = v2_->stats();
    for (auto it = s2.begin(); it != s2.end(); ++it)
      if (!s.contains(it.key())) s[it.key()] = it.value();
    return s;
  }
  uint64_t oom_kills() const override { return v1_->oom_kills(); }
  void destroy() override {
    // Kill through v2 (cgroup.kill) first so the v1 directories empty out too.
    std::exception_ptr first;
    for (auto* d : {v2_.get(), v1_.get()}) {
      try {
        d->destroy();
      } catch (...) {
        if (!first) first = std::current_exception();
      }
    }
    if (first) std::rethrow_exception(first);
  }
  std::map<std::string, std::string> paths() const override {
    auto p = v1_->paths();
    for (auto& [k, v] : v2_->paths()) p[k] = v;
    return p;
  }
  std::string unified_path() const override { return v2_->unified_path(); }

 private:
  std::unique_ptr<CgroupDriver> v1_, v2_;
};

bool writable_dir(const std::string& dir) {
  return ::access(dir.c_str(), W_OK) == 0;
}

}  // namespace

std::unique_ptr<CgroupDriver> make_cgroup_hybrid(std::unique_ptr<CgroupDriver> v1,
                                                 std::unique_ptr<CgroupDriver> v2) {
  return std::make_unique<HybridCgroup>(std::move(v1), std::move(v2));
}

std::unique_ptr<CgroupDriver> new_cgroup_driver(const CgroupHost& host, const std::string& cgroups_path,
                                                const std::string& id, std::string* why) {
  auto self = [&](const std::string& c) {
    auto it = host.self_paths.find(c);
    return it == host.self_paths.end() ? std::string("/") : it->second;
  };
  // Validate first: a bad path is an error even where cgroups end up unused.
  resolve_cgroups_path(cgroups_path, id, "/");
  auto v2_dir = [&] { return host.unified_mount + resolve_cgroups_path(cgroups_path, id, self("")); };
  if (is_rootless() && cgroups_path.empty() && host.layout == CgroupLayout::v2) {
    // Rootless without a path: next to the caller's own cgroup, as runc does on v2. A user's session
    // or service sits in the subtree delegated to it (systemd: user@<uid>.service/...), so its
    // containers land there too instead of under the root, which the user cannot write.
    std::string own = self("");
    std::string parent = own.substr(0, own.rfind('/'));
    std::string dir = host.unified_mount + parent + "/" + id;
    if (writable_dir(host.unified_mount + parent)) return make_cgroup_v2(dir);
    if (why) *why = "rootless and no writable (delegated) cgroup v2 subtree next to its own cgroup " + own;
    return nullptr;
  }
  if (is_rootless()) {
    // Rootless: only a delegated (writable) v2 subtree can be used.
    if (host.layout == CgroupLayout::v2) {
      std::string dir = v2_dir();
      std::string parent = dir.substr(0, dir.rfind('/'));
      std::string probe = parent;
      while (::access(probe.c_str(), F_OK) != 0 && probe.size() > host.unified_mount.size())
        probe = probe.substr(0, probe.rfind('/'));
      if (writable_dir(probe)) return make_cgroup_v2(dir);
    }
    if (why) *why = "rootless and no writable (delegated) cgroup v2 subtree";
    return nullptr;
  }
  std::map<std::string, std::string> v1_dirs;
  for (const auto& [ctrl, mnt] : host.v1_mounts)
    v1_dirs[ctrl] = mnt + resolve_cgroups_path(cgroups_path, id, self(ctrl));
  switch (host.layout) {
    case CgroupLayout::v2:
      return make_cgroup_v2(v2_dir());
    case CgroupLayout::hybrid:
      return make_cgroup_hybrid(make_cgroup_v1(v1_dirs), make_cgroup_v2(v2_dir()));
    case CgroupLayout::v1:
      return make_cgroup_v1(v1_dirs);
    case CgroupLayout::none:
      break;
  }
  if (why) *why = "no cgroup hierarchy is mounted under /sys/fs/cgroup";
  return nullptr;
}

std::unique_ptr<CgroupDriver> open_cgroup_driver(const std::map<std::string, std::string>& paths) {
  if (paths.empty()) return nullptr;
  std::map<std::string, std::string> v1;
  std::string v2;
  for (const auto& [k, v] : paths) {
    if (k == "unified")
      v2 = v;
    else
      v1[k] = v;
  }
  if (v1.empty()) return make_cgroup_v2(v2);
  if (v2.empty()) return make_cgroup_v1(v1);
  return make_cgroup_hybrid(make_cgroup_v1(v1), make_cgroup_v2(v2));
}

}  // namespace skiff
