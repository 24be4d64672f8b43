// KeeperClient: how `skiff supervise` talks to the keeper, the one shared process that outlives it and
// holds what a container must not lose when the supervisor dies or is upgraded: its stdio pipes (the
// keeper writes them to CRI-format log files), its exit status (recorded durably until the supervisor
// forgets it) and its reaping (the keeper is a child subreaper; it creates each container from a
// short-lived child of its own, so the container's init is re-parented to it).
//
// The protocol is JSON lines over a unix socket; this client is asynchronous on the supervisor's
// EventLoop: every callback runs on the loop's thread, in the order the keeper answered. A lost
// connection (the keeper died) fails every pending call with an error and calls on_disconnect; nothing
// is retried behind the caller's back.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace skiff {
class EventLoop;
}

namespace skiff::keeper {

struct KeeperOptions {
  std::string state_dir;      // the keeper's socket (keeper.sock), lock and exit records live here
  std::string runtime_root;   // the runtime's --root (state of every container), e.g. /run/skiff-runtime
  std::string skiff_binary;   // what to exec as `<binary> keeper --state-dir ...` when none runs (default /proc/self/exe)
};

// One container the keeper knows of.
struct ContainerRecord {
  std::string id;        // the runtime's container id
  pid_t pid = 0;         // its init's pid in the host's pid namespace (0 before it ran)
  int64_t started_at_ns = 0;   // CLOCK_REALTIME when `start` made it run
  bool exited = false;
  int exit_code = 0;     // exit status, or 128 + signal when killed by a signal (the kubelet's convention)
  int signal = 0;        // the signal that killed it, 0 if it exited
  int64_t finished_at_ns = 0;
  std::string log_path;  // the CRI log file its output goes to
};

struct CreateRequest {
  std::string id;           // runtime container id ([A-Za-z0-9_.-], unique)
  std::string bundle;       // OCI bundle directory (config.json, rootfs)
  std::string log_path;     // CRI-format log file of this attempt (created 0640, parents created)
  uint64_t log_max_size = 10 * 1024 * 1024;  // rotate when the file would pass this
  unsigned log_max_files = 5;                // log_path + rotated files (log_path.1 ...) kept
  bool start = true;        // false: created only (runtime `create`); start() runs it later
};

// The result of a call: error is empty on success, else one line saying what failed and why.
struct KeeperResult {
  std::string error;
  ContainerRecord record;
  bool ok() const { return error.empty(); }
};

class KeeperClient {
 public:
  using Done = std::function<void(const KeeperResult&)>;

  // Connects to the keeper of opts.state_dir, starting one (detached, its own session) if none answers.
  // Blocks for at most a few hundred milliseconds; throws skiff::Error if no keeper can be reached.
  static std::unique_ptr<KeeperClient> connect(EventLoop& loop, const KeeperOptions& opts);

  virtual ~KeeperClient() = default;

  // Creates (and, with req.start, starts) a container; done gets its record (pid set once it runs).
  // A failure leaves nothing behind: no runtime state, no cgroup, no log file.
  virtual void create(const CreateRequest& req, Done done) = 0;
  // Starts a container created with start = false.
  virtual void start(const std::string& id, Done done) = 0;
  // Every record the keeper holds (running and exited-not-yet-forgotten), for adoption after a restart.
  virtual void list(std::function<void(const std::string& error, std::vector<ContainerRecord>)> done) = 0;
  // The keeper drops the record of `id` (after the supervisor has seen its exit and removed it from the
  // runtime). Forgetting a running container is an error.
  virtual void forget(const std::string& id, Done done) = 0;

  // Called on the loop thread for every container exit the keeper reaps (also for those that exited
  // while no supervisor was connected: they are replayed on connect, before list() answers).
  virtual void on_exit(std::function<void(const ContainerRecord&)> cb) = 0;
  virtual void on_disconnect(std::function<void(const std::string& why)> cb) = 0;
};

}  // namespace skiff::keeper
