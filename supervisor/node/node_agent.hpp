// NodeAgent: the kubelet's part of `skiff supervise`. It watches the store's Pods (every namespace; on one
// host every pod is ours: an empty spec.nodeName is bound to this node on first sight), and for each one
// keeps a pod worker that makes the pod's sandbox (a network, IPC and UTS namespace attached to the
// default network), pulls images, creates its containers through the keeper, runs init containers in
// order, restarts containers per restartPolicy with CrashLoopBackOff, runs probes (the ProbeManager) and
// lifecycle hooks, terminates with the grace period, and writes the pod's status and events as the
// kubelet does. At start it adopts what runs already (containers outlive the supervisor).
//
// Threading: everything runs on the EventLoop's thread; blocking work (pulls, rootfs preparation, runtime
// calls) goes to the WorkerPool or to the keeper. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace skiff {
class EventLoop;
}
namespace skiff::store {
class ObjectStore;
class EventRecorder;
}  // namespace skiff::store
namespace skiff::loop {
class WorkerPool;
}
namespace skiff::keeper {
class KeeperClient;
}

namespace skiff::node {

struct BackoffConfig {
  std::chrono::milliseconds initial{std::chrono::seconds(10)};  // the kubelet's crash loop back-off
  std::chrono::milliseconds max{std::chrono::seconds(300)};
  std::chrono::milliseconds reset{std::chrono::minutes(10)};     // running this long forgets the back-off
};

struct NodeConfig {
  std::string node_name;                    // default: the host name
  std::map<std::string, std::string> labels;  // added to kubernetes.io/{hostname,os,arch}
  std::string network = "skiff";            // the default bridge network pods attach to
  std::string state_dir;                    // bundles: <state_dir>/pods/<uid>/...
  std::string run_dir = "/run/skiff/pods";  // sandboxes: <run_dir>/<uid>/ns/{net,ipc,uts}, hosts, resolv.conf
  std::string pod_log_dir = "/var/log/pods";
  std::string runtime_root = "/run/skiff-runtime";
  std::string image_store;                  // empty: $SKIFF_IMAGE_STORE or the default
  BackoffConfig backoff;
  uint64_t log_max_size = 10 * 1024 * 1024;  // containerLogMaxSize
  unsigned log_max_files = 5;                // containerLogMaxFiles
  std::chrono::milliseconds image_pull_backoff_initial{std::chrono::seconds(10)};
};

// Where a container's cgroup is, for metrics (the HPA, `skiff top`, /metrics).
struct ContainerCgroup {
  std::string pod_namespace, pod_name, pod_uid, container_name, container_id;
  std::string cgroup_path;  // the OCI linux.cgroupsPath the container was created with (runtime-relative)
  pid_t pid = 0;            // its init (read /proc/<pid>/cgroup for the exact paths of every hierarchy)
};

struct ExecRequest {
  std::string ns, pod, container;  // container empty: the pod's first (kubectl's default)
  std::vector<std::string> command;
  bool tty = false;
  int stdio[3] = {-1, -1, -1};     // the caller's fds (passed over the API socket); -1: /dev/null
};

class NodeAgent {
 public:
  NodeAgent(EventLoop& loop, store::ObjectStore& store, store::EventRecorder& events,
            keeper::KeeperClient& keeper, loop::WorkerPool& workers, NodeConfig config);
  ~NodeAgent();  // stops watching; leaves every container running (the next supervisor adopts them)
  NodeAgent(const NodeAgent&) = delete;
  NodeAgent& operator=(const NodeAgent&) = delete;

  // Adopts what runs, then watches the store. Throws skiff::Error when the node cannot work at all
  // (e.g. the network cannot be set up).
  void start();

  // The log file of a container: this attempt's, or with `previous` the last attempt's. Empty with
  // *error set ("container \"x\" in pod \"p\" is waiting to start", "previous terminated container
  // \"x\" in pod \"p\" not found", as the API server words them).
  std::string log_path(const std::string& ns, const std::string& pod, const std::string& container,
                       bool previous, std::string* error) const;

  // Execs into a running container (skiff exec). `done` gets the exit code (or -1 and an error).
  void exec(const ExecRequest& req, std::function<void(int exit_code, const std::string& error)> done);

  // Running containers' cgroups, for metrics.
  std::vector<ContainerCgroup> container_cgroups() const;

  // prober_probe_total and friends, in Prometheus text format (for /metrics).
  std::string probe_metrics_text() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::node
