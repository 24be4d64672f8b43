// Container state on disk: <root>/<id>/state.json (atomic writes), <root>/<id>/exec.fifo while the
// container is created but not started, and a flock on the <root>/<id> directory that serializes every
// command on one ID. Status is derived from the process (pid + start time, so a reused pid is not
// mistaken for the container) and the fifo, never stored.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "unique_fd.hpp"

namespace skiff {

enum class Status { creating, created, running, paused, stopped };
const char* status_name(Status s);

struct ContainerState {
  std::string id;
  pid_t pid = 0;
  unsigned long long pid_start_time = 0;  // field 22 of /proc/<pid>/stat at create time
  std::string bundle;                     // absolute
  std::string rootfs;                     // absolute
  std::string created;                    // RFC3339 with nanoseconds
  std::string owner;
  std::string oci_version;
  std::map<std::string, std::string> annotations;
  std::string config_json;  // the bundle's config.json as it was at create (hooks, process for exec)
  bool has_exec_fifo = false;
  // Namespaces the container created or joined, as "type" -> path of a handle (/proc/<pid>/ns/<x>).
  std::vector<std::string> new_namespaces;
  // The container's cgroup directories: hierarchy ("memory", ..., "unified") -> path.
  std::map<std::string, std::string> cgroup_paths;

  // The runc-compatible `state` JSON (ociVersion, id, pid, status, bundle, rootfs, created, owner,
  // annotations), indented like runc's.
  std::string to_oci_json(Status status, int indent = 2) const;
};

// Validates a container ID: non-empty, at most 1024 bytes, only [A-Za-z0-9_+.-], not "." or "..".
void validate_container_id(const std::string& id);

// The default --root: /run/skiff-runtime as root, $XDG_RUNTIME_DIR/skiff-runtime otherwise.
std::string default_state_root();

class StateStore {
 public:
  explicit StateStore(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }
  std::string dir(const std::string& id) const { return root_ + "/" + id; }

  // A locked container directory. Holding it serializes commands on one ID.
  class Locked {
   public:
    Locked() = default;
    Locked(std::string dir, UniqueFd fd) : dir_(std::move(dir)), fd_(std::move(fd)) {}
    const std::string& dir() const { return dir_; }
    int fd() const { return fd_.get(); }
    explicit operator bool() const { return bool(fd_); }

   private:
    std::string dir_;
    UniqueFd fd_;
  };

  // Creates <root>/<id> and locks it. Throws "container already exists" if the directory exists.
  Locked create(const std::string& id) const;
  // Locks an existing container directory. Throws "container does not exist".
  Locked open(const std::string& id) const;
  // Reads state.json of a locked directory. Throws "container does not exist" if absent.
  ContainerState load(const Locked& l) const;
  void save(const Locked& l, const ContainerState& s) const;
  // Removes the directory and everything in it (the lock is released by the caller dropping `l`).
  void remove(const Locked& l) const;
  // IDs of every container directory under the root (unsorted), for `list`.
  std::vector<std::string> list_ids() const;

 private:
  std::string root_;
};

// Reads the start time (in clock ticks since boot) of pid, or nullopt if it does not exist.
// `zombie` is set when the process has exited but not yet been reaped.
std::optional<unsigned long long> process_start_time(pid_t pid, bool* zombie = nullptr);

// The status of a container from its process, its fifo and its cgroup's freezer (paused).
Status derive_status(const ContainerState& s, const std::string& dir);

}  // namespace skiff
