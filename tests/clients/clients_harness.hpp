// Harness for the client tests: the real containerd (a private daemon) and podman drive an OCI
// runtime (ours, or a peer such as crun) on the fixture image, as they would on a node.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "harness.hpp"

namespace skiff::test {

// The fixture image as an OCI image layout tar (made by umoci at build time), baked in by CMake.
std::string fixture_oci_layout();

// s without trailing newlines and spaces (a client's one-line output).
std::string trim(std::string s);

// A name unique to this test process, for containers, cgroups and namespaces: "<stem>-<pid>-<n>".
std::string unique_name(const std::string& stem);

// A program started in the background, output appended to a log file. Stopped by its pid on
// destruction (SIGTERM, then SIGKILL after a grace period) and reaped.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  pid_t pid() const { return pid_; }
  bool running();
  void stop();

 private:
  pid_t pid_ = -1;
};

// Mount points at or below dir in this mount namespace (/proc/self/mountinfo), deepest first.
std::vector<std::string> mounts_under(const std::string& dir);
// Lazily unmounts everything mounts_under(dir) lists; returns how many there were.
size_t unmount_under(const std::string& dir);

// The cgroup directories named `path` (e.g. "/skiff-clients-1-2") that exist in any hierarchy:
// every v1 controller and the unified one.
std::vector<std::string> cgroup_dirs(const std::string& path);
// Removes those directories (children first). Only for cgroups a test named itself.
void remove_cgroup_dirs(const std::string& path);

// The OCI runtime a client drives. crun refuses this hybrid cgroup host, so it runs through a
// wrapper that hides the unified hierarchy's controller list in a private mount namespace (the
// host's mounts are never touched).
struct ClientRuntime {
  std::string name;         // "skiff" or "crun"
  std::string binary;       // what the client execs
  std::string skip_reason;  // non-empty: not available here
};
// `work` is a directory that lives as long as the runtime is used (for the wrapper script).
ClientRuntime client_runtime(const std::string& name, const std::string& work);

// What our runtime answers for a command the cgroups work has not landed yet: non-empty (the reason
// to skip) when `skiff-runtime <command>` reports "not supported yet".
std::string unsupported_by_skiff(const std::string& command);

// A private containerd: its own root, state dir and sockets in a temp dir, CRI plugin disabled,
// the fixture image imported as `image()`. On destruction every container it still has is removed,
// the daemon and any shim left are stopped by pid, leftover mounts under its dir are unmounted.
class Containerd {
 public:
  Containerd();
  ~Containerd();
  Containerd(const Containerd&) = delete;
  Containerd& operator=(const Containerd&) = delete;

  // Runs `ctr --address SOCK --namespace NS args...`.
  Result ctr(const std::vector<std::string>& args, int timeout_s = 60) const;
  const std::string& dir() const { return dir_.path(); }
  static std::string image() { return "skiff-fixture:latest"; }
  std::string ns() const { return ns_; }
  std::string daemon_log() const;
  // Kills and deletes the task (if any) and the container; quiet when they are gone already.
  void remove_container(const std::string& id) const;
  // Ids of the containers / tasks containerd still has.
  std::vector<std::string> containers() const;
  std::vector<std::string> tasks() const;

 private:
  TempDir dir_;
  std::string ns_;
  std::string socket_;
  std::unique_ptr<BackgroundProcess> daemon_;
};

// podman 4.3 (through conmon) with `--runtime` set, all its storage and state in a temp dir, with
// the flags this machine needs (cgroupfs manager, file events, the rlimits root may not raise, no
// network). The fixture image is loaded as `image()`. On destruction every container is removed,
// leftover mounts under its dir are unmounted and the cgroup parents its containers used are removed.
class Podman {
 public:
  explicit Podman(const std::string& runtime_binary);
  ~Podman();
  Podman(const Podman&) = delete;
  Podman& operator=(const Podman&) = delete;

  // Runs `podman <global flags> args...`.
  Result podman(const std::vector<std::string>& args, int timeout_s = 60) const;
  // `podman run` with the per-container flags this machine needs and a cgroup parent of the test's
  // own (returned through cgroup_parent) before `flags`, then the image and args.
  Result run(const std::vector<std::string>& flags, const std::vector<std::string>& args, int timeout_s = 60);
  const std::string& dir() const { return dir_.path(); }
  static std::string image() { return "localhost/skiff-fixture:latest"; }
  // The cgroup parents handed to containers so far.
  const std::vector<std::string>& cgroup_parents() const { return cgroup_parents_; }
  // The runtime keeps its state in its default root: podman 4.3's cleanup process (`podman container
  // cleanup`, which deletes the container) does not pass --runtime-flag on, so a private --root
  // would leave every container behind.
  static std::string runtime_root() { return "/run/skiff-runtime"; }
  // The ids of the containers run() made.
  const std::vector<std::string>& ids() const { return ids_; }

 private:
  TempDir dir_;
  std::string runtime_;
  std::vector<std::string> cgroup_parents_;
  std::vector<std::string> ids_;
};

}  // namespace skiff::test
