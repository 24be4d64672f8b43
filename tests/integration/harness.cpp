#include "harness.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "spec.hpp"

extern char** environ;

namespace skiff::test {

std::string runtime_binary() {
  return SKIFF_RUNTIME_BINARY;
}
std::string fixture_rootfs() {
  return SKIFF_FIXTURE_ROOTFS;
}

namespace {
// Every directory this test process made: mount_count() looks only at mounts under these and the
// fixture rootfs, so tests of other components running at the same time do not disturb the count.
std::vector<std::string>& owned_dirs() {
  static std::vector<std::string> dirs;
  return dirs;
}

bool under(const std::string& path, const std::string& dir) {
  return path.compare(0, dir.size(), dir) == 0 && (path.size() == dir.size() || path[dir.size()] == '/');
}
}  // namespace

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
  owned_dirs().push_back(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Result run_command(const std::vector<std::string>& argv, const std::string& input, int timeout_s) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
    throw std::runtime_error("pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    throw std::runtime_error("spawn " + argv[0] + ": " + strerror(rc));
  }
  // Small inputs fit the pipe buffer; tests never send more.
  if (!input.empty()) (void)!write(in[1], input.data(), input.size());
  close(in[1]);
  Result r;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  // Read until the command exits, not until EOF: after `create` the container's init still holds
  // the pipes (it inherits the runtime's stdio, as with runc).
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  auto drain = [&](int fd, std::string& into) {
    char buf[8192];
    ssize_t k;
    while ((k = read(fd, buf, sizeof buf)) > 0) into.append(buf, static_cast<size_t>(k));
  };
  int status = 0;
  bool killed = false;
  for (;;) {
    struct pollfd p[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    poll(p, 2, 10);
    drain(out[0], r.out);
    drain(err[0], r.err);
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!killed && now.tv_sec - start.tv_sec > timeout_s) {
      kill(pid, SIGKILL);
      killed = true;
    }
  }
  drain(out[0], r.out);
  drain(err[0], r.err);
  close(out[0]);
  close(err[0]);
  if (killed)
    r.status = -1;
  else if (WIFEXITED(status))
    r.status = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    r.status = 128 + WTERMSIG(status);
  return r;
}

Bundle::Bundle() : dir_("skiff-bundle") {
  config = spec::default_spec(false);
  config["root"]["path"] = fixture_rootfs();
  config["process"]["terminal"] = false;
}

void Bundle::set_args(const std::vector<std::string>& args) {
  config["process"]["args"] = args;
  config["process"]["terminal"] = false;
}

void Bundle::write() const {
  std::ofstream f(path() + "/config.json");
  f << config.dump(2);
}

Runtime::Runtime() : root_("skiff-root") {}

Runtime::~Runtime() {
  for (const auto& id : ids_) run_command({runtime_binary(), "--root", root(), "delete", "--force", id});
}

Result Runtime::operator()(std::vector<std::string> args, const std::string& input, int timeout_s) const {
  std::vector<std::string> argv = {runtime_binary(), "--root", root()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, input, timeout_s);
}

std::string Runtime::unique_id(const std::string& stem) {
  static std::atomic<int> n{0};
  std::string id = stem + "-" + std::to_string(getpid()) + "-" + std::to_string(n++);
  ids_.push_back(id);
  return id;
}

size_t mount_count() {
  std::ifstream f("/proc/self/mountinfo");
  size_t n = 0;
  std::string line;
  std::string rootfs = fixture_rootfs();
  while (std::getline(f, line)) {
    // Field 5 is the mount point (octal escapes are irrelevant for our plain temp paths).
    std::istringstream fields(line);
    std::string id, parent, dev, root, mount_point;
    fields >> id >> parent >> dev >> root >> mount_point;
    bool ours = under(mount_point, rootfs);
    for (const auto& d : owned_dirs()) ours = ours || under(mount_point, d);
    if (ours) ++n;
  }
  return n;
}

size_t fd_count() {
  size_t n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (auto* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

bool is_root() {
  return geteuid() == 0;
}

namespace {
// The first range /etc/subuid-style `file` gives `name`, or 0.
uint32_t first_subid(const std::string& file, const std::string& name) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string who, start;
    if (std::getline(f, who, ':') && who == name && std::getline(f, start, ':'))
      return static_cast<uint32_t>(std::stoul(start));
  }
  return 0;
}
}  // namespace

TestUser::TestUser(const std::string& stem) {
  name_ = stem + std::to_string(getpid());
  auto r = run_command(
      {"/usr/sbin/useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name_});
  if (r.status != 0) {
    error_ = "useradd failed: " + r.err;
    return;
  }
  created_ = true;
  struct passwd* pw = getpwnam(name_.c_str());
  if (!pw) {
    error_ = "no passwd entry after useradd";
    return;
  }
  uid_ = pw->pw_uid;
  gid_ = pw->pw_gid;
  subuid_ = first_subid("/etc/subuid", name_);
  subgid_ = first_subid("/etc/subgid", name_);
  if (subuid_ == 0 || subgid_ == 0) error_ = "useradd gave no /etc/subuid or /etc/subgid range";
}

TestUser::~TestUser() {
  if (created_) run_command({"/usr/sbin/userdel", name_});
}

Result TestUser::run(const std::vector<std::string>& args, const std::vector<std::string>& env,
                     int timeout_s) const {
  std::vector<std::string> argv = {
      "/usr/bin/setpriv", "--reuid", std::to_string(uid_), "--regid", std::to_string(gid_),
      "--clear-groups",   "--",      "/usr/bin/env",       "-i",      "PATH=/usr/bin:/bin:/usr/sbin:/sbin"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, "", timeout_s);
}

Result TestUser::runtime(const std::string& xdg, const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {runtime_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, {"XDG_RUNTIME_DIR=" + xdg});
}

Result run_sh(Runtime& rt, Bundle& b, const std::string& script,
              const std::vector<std::string>& global_flags) {
  b.set_args({"/bin/sh", "-c", script});
  b.write();
  std::vector<std::string> args = global_flags;
  for (const auto& a : {std::string("run"), std::string("--bundle"), b.path(), rt.unique_id("sh")})
    args.push_back(a);
  return rt(args);
}

}  // namespace skiff::test
