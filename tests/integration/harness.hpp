// Helpers for integration tests that drive the real skiff-runtime binary on real containers:
// temp dirs, running a command with captured output, bundles built from the fixture rootfs.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace skiff::test {

// Paths baked in by CMake.
std::string runtime_binary();
std::string fixture_rootfs();

// A directory removed (recursively) on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "skiff-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Result {
  int status = -1;  // exit code, or 128+signal
  std::string out;
  std::string err;
};

// Runs argv, feeding `input` on stdin; waits at most timeout_s (then SIGKILL and status -1).
Result run_command(const std::vector<std::string>& argv, const std::string& input = "", int timeout_s = 30);

// A bundle: config.json (from the runtime's default spec, with the fixture rootfs as root.path) in
// a temp dir. Tests edit `config` and call write().
class Bundle {
 public:
  Bundle();
  nlohmann::json config;
  const std::string& path() const { return dir_.path(); }
  void write() const;
  // Sets process.args and turns the terminal off.
  void set_args(const std::vector<std::string>& args);

 private:
  TempDir dir_;
};

// The runtime with its own --root in a temp dir. Every container it made is force-deleted at the end.
class Runtime {
 public:
  Runtime();
  ~Runtime();
  const std::string& root() const { return root_.path(); }
  Result operator()(std::vector<std::string> args, const std::string& input = "", int timeout_s = 30) const;
  std::string unique_id(const std::string& stem);

 private:
  TempDir root_;
  std::vector<std::string> ids_;
};

// Mounts in the test's (= the host's) mount namespace under the fixture rootfs or a TempDir of this
// process: what a runtime leaking mounts would leave. Other mounts are ignored, because tests of other
// components (overlay rootfs, netns bind mounts) run at the same time under ctest -j.
size_t mount_count();
// Number of open fds of this process.
size_t fd_count();
// True if we are root (integration tests skip otherwise).
bool is_root();

}  // namespace skiff::test
