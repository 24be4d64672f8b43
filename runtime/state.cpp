#include "state.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "cgroup.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "rootless.hpp"

namespace skiff {

const char* status_name(Status s) {
  switch (s) {
    case Status::creating:
      return "creating";
    case Status::created:
      return "created";
    case Status::running:
      return "running";
    case Status::paused:
      return "paused";
    case Status::stopped:
      return "stopped";
  }
  return "unknown";
}

void validate_container_id(const std::string& id) {
  if (id.empty()) throw Error("container id cannot be empty");
  if (id.size() > 1024) throw Error("container id is longer than 1024 bytes");
  if (id == "." || id == "..") throw Error("invalid container id \"" + id + "\"");
  for (unsigned char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '+' || c == '-' || c == '.';
    if (!ok) throw Error("invalid container id \"" + id + "\": only [A-Za-z0-9_+.-] are allowed");
  }
}

std::string default_state_root() {
  if (!is_rootless()) return "/run/skiff-runtime";
  const char* xdg = ::getenv("XDG_RUNTIME_DIR");
  if (xdg && *xdg) return std::string(xdg) + "/skiff-runtime";
  return "/tmp/skiff-runtime-" + std::to_string(::geteuid());
}

std::string ContainerState::to_oci_json(Status status, int indent) const {
  nlohmann::ordered_json j;
  j["ociVersion"] = oci_version;
  j["id"] = id;
  j["pid"] = (status == Status::stopped) ? 0 : pid;
  j["status"] = status_name(status);
  j["bundle"] = bundle;
  j["rootfs"] = rootfs;
  j["created"] = created;
  j["owner"] = owner;
  if (!annotations.empty()) j["annotations"] = annotations;
  return j.dump(indent);
}

static UniqueFd lock_dir(const std::string& dir, bool must_exist_msg) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT && must_exist_msg) throw Error("container does not exist");
    throw_errno("open " + dir);
  }
  while (::flock(fd.get(), LOCK_EX) < 0) {
    if (errno != EINTR) throw_errno("lock " + dir);
  }
  return fd;
}

StateStore::Locked StateStore::create(const std::string& id) const {
  if (::mkdir(root_.c_str(), 0711) < 0 && errno != EEXIST) mkdir_all(root_, 0711);
  std::string d = dir(id);
  if (::mkdir(d.c_str(), 0711) < 0) {
    if (errno == EEXIST) throw Error("container already exists");
    throw_errno("mkdir " + d);
  }
  return Locked(d, lock_dir(d, false));
}

StateStore::Locked StateStore::open(const std::string& id) const {
  std::string d = dir(id);
  return Locked(d, lock_dir(d, true));
}

ContainerState StateStore::load(const Locked& l) const {
  std::string text;
  try {
    text = read_file(l.dir() + "/state.json");
  } catch (const Error& e) {
    if (e.err() == ENOENT) throw Error("container does not exist");
    throw;
  }
  ContainerState s;
  try {
    auto j = nlohmann::json::parse(text);
    s.id = j.at("id").get<std::string>();
    s.pid = j.at("pid").get<pid_t>();
    s.pid_start_time = j.at("pidStartTime").get<unsigned long long>();
    s.bundle = j.at("bundle").get<std::string>();
    s.rootfs = j.at("rootfs").get<std::string>();
    s.created = j.at("created").get<std::string>();
    s.owner = j.value("owner", "");
    s.oci_version = j.value("ociVersion", "");
    s.annotations = j.value("annotations", std::map<std::string, std::string>{});
    s.config_json = j.value("config", "");
    s.has_exec_fifo = j.value("execFifo", false);
    s.cgroup_paths = j.value("cgroupPaths", std::map<std::string, std::string>{});
  } catch (const nlohmann::json::exception& e) {
    throw Error(l.dir() + "/state.json is corrupt: " + e.what());
  }
  return s;
}

void StateStore::save(const Locked& l, const ContainerState& s) const {
  nlohmann::json j;
  j["id"] = s.id;
  j["pid"] = s.pid;
  j["pidStartTime"] = s.pid_start_time;
  j["bundle"] = s.bundle;
  j["rootfs"] = s.rootfs;
  j["created"] = s.created;
  j["owner"] = s.owner;
  j["ociVersion"] = s.oci_version;
  j["annotations"] = s.annotations;
  j["config"] = s.config_json;
  j["execFifo"] = s.has_exec_fifo;
  if (!s.cgroup_paths.empty()) j["cgroupPaths"] = s.cgroup_paths;
  write_file_atomic(l.dir() + "/state.json", j.dump(), 0600, Durability::kVolatile);
}

void StateStore::remove(const Locked& l) const {
  // The directory holds only regular files and the fifo: unlink them, then the directory.
  DIR* d = ::opendir(l.dir().c_str());
  if (d) {
    while (auto* e = ::readdir(d)) {
      if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
      if (::unlinkat(dirfd(d), e->d_name, 0) < 0 && errno == EISDIR) remove_all(l.dir() + "/" + e->d_name);
    }
    ::closedir(d);
  }
  if (::rmdir(l.dir().c_str()) < 0 && errno != ENOENT) throw_errno("remove " + l.dir());
}

std::vector<std::string> StateStore::list_ids() const {
  std::vector<std::string> ids;
  DIR* d = ::opendir(root_.c_str());
  if (!d) {
    if (errno == ENOENT) return ids;
    throw_errno("open " + root_);
  }
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    if (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN) ids.emplace_back(e->d_name);
  }
  ::closedir(d);
  return ids;
}

std::optional<unsigned long long> process_start_time(pid_t pid, bool* zombie) {
  if (pid <= 0) return std::nullopt;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  char buf[1024];
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return std::nullopt;
  buf[n] = 0;
  // comm may contain spaces and parens: fields start after the last ')'.
  char* p = strrchr(buf, ')');
  if (!p) return std::nullopt;
  p += 2;  // state
  if (zombie) *zombie = (*p == 'Z' || *p == 'X');
  // state is field 3; starttime is field 22: skip 19 more fields.
  for (int field = 3; field < 22 && p; ++field) {
    p = strchr(p, ' ');
    if (p) ++p;
  }
  if (!p) return std::nullopt;
  return strtoull(p, nullptr, 10);
}

Status derive_status(const ContainerState& s, const std::string& dir) {
  bool zombie = false;
  auto start = process_start_time(s.pid, &zombie);
  if (!start || *start != s.pid_start_time || zombie) return Status::stopped;
  if (s.has_exec_fifo && ::access((dir + "/exec.fifo").c_str(), F_OK) == 0) return Status::created;
  if (!s.cgroup_paths.empty()) {
    auto cg = open_cgroup_driver(s.cgroup_paths);
    if (cg && cg->frozen()) return Status::paused;
  }
  return Status::running;
}

}  // namespace skiff
