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
// In a test body: skip, saying why, unless root.
#define REQUIRE_ROOT() \
  if (!::skiff::test::is_root()) GTEST_SKIP() << "needs root: creates namespaces and mounts"

// Runs `script` with /bin/sh -c in a fresh container from `b` (`run` in the foreground); `global_flags`
// go before `run` (e.g. --debug).
Result run_sh(Runtime& rt, Bundle& b, const std::string& script,
              const std::vector<std::string>& global_flags = {});

// An unprivileged user made for a test with useradd (it gets /etc/subuid and /etc/subgid ranges),
// removed with userdel on destruction. error() says why when it could not be made.
class TestUser {
 public:
  explicit TestUser(const std::string& stem = "skrl");
  ~TestUser();
  TestUser(const TestUser&) = delete;
  TestUser& operator=(const TestUser&) = delete;
  const std::string& name() const { return name_; }
  const std::string& error() const { return error_; }
  uid_t uid() const { return uid_; }
  gid_t gid() const { return gid_; }
  uint32_t subuid() const { return subuid_; }
  uint32_t subgid() const { return subgid_; }
  // Runs argv as this user with only PATH and `env` ("NAME=value") in the environment.
  Result run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
             int timeout_s = 30) const;
  // The runtime as this user, with XDG_RUNTIME_DIR=xdg.
  Result runtime(const std::string& xdg, const std::vector<std::string>& args) const;

 private:
  std::string name_, error_;
  bool created_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  uint32_t subuid_ = 0, subgid_ = 0;
};

}  // namespace skiff::test
