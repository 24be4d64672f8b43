// The container lifecycle as a library: what `skiff-runtime`'s commands do, and what `skiff` links.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "spec.hpp"
#include "state.hpp"
#include "unique_fd.hpp"

namespace skiff {

struct CreateOptions {
  std::string id;
  std::string bundle = ".";
  std::string pid_file;
  std::string console_socket;
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;
};

struct ExecOptions {
  std::string id;
  std::string process_file;       // --process: a runtime-spec process JSON
  std::vector<std::string> args;  // used when no process file
  bool tty = false;
  std::string console_socket;
  bool detach = false;
  std::string pid_file;
  std::string cwd;
  std::vector<std::string> env;
  std::string user;  // uid[:gid]
  std::vector<std::string> caps;
  bool no_new_privs = false;
  int preserve_fds = 0;
  // For library callers: the process's stdin, stdout and stderr (-1: the caller's own), and whether
  // it leads a process group of its own (so the caller can kill what it forks).
  int stdio[3] = {-1, -1, -1};
  bool new_process_group = false;
};

// A process exec'd into a container and left running: a child of the caller, who reaps it.
struct ExecProcess {
  pid_t pid = -1;
  UniqueFd pidfd;
};

class Runtime {
 public:
  explicit Runtime(std::string state_root) : store_(std::move(state_root)) {}
  const StateStore& store() const { return store_; }

  // create: the container's init is set up and waits for start; returns once it is.
  void create(const CreateOptions& o);
  // start: releases a created container and runs poststart hooks.
  void start(const std::string& id);
  // run: create + start; in the foreground (detach false) waits and returns the exit status
  // (128+signal when killed) and deletes the container unless keep.
  int run(const CreateOptions& o, bool detach, bool keep);
  // The OCI state JSON (runc's shape).
  std::string state_json(const std::string& id);
  void kill(const std::string& id, int sig, bool all);
  void remove(const std::string& id, bool force);
  // Host pids of every process in the container.
  std::vector<pid_t> pids(const std::string& id);
  // Exit status of the exec'd process (foreground), or 0 when detached.
  int exec(const ExecOptions& o);
  // exec, detached: returns once the process runs (exec'd, or failed with an Error), with its pid and
  // pidfd. For a long-running caller such as a prober: nothing of the caller's changes.
  ExecProcess exec_process(ExecOptions o);

  struct ListEntry {
    ContainerState state;
    Status status;
  };
  std::vector<ListEntry> list();

  // cgroups (cgroup_commands.cpp): freeze and thaw every process of the container.
  void pause(const std::string& id);
  void resume(const std::string& id);
  // Applies linux.resources JSON (runc's `update` shape) to a live container's cgroups.
  void update(const std::string& id, const nlohmann::json& resources);
  // runc's `events --stats` object {"type":"stats","id":...,"data":{...}}.
  std::string stats_json(const std::string& id);
  // runc's `events`: stats every interval_ms and OOM events as they happen, one JSON object per
  // emit() call, until the container stops. Returns when it has.
  void events(const std::string& id, int interval_ms, bool with_stats,
              const std::function<void(const std::string&)>& emit);

 private:
  int exec_impl(const ExecOptions& o, ExecProcess* started);
  StateStore store_;
};

}  // namespace skiff
