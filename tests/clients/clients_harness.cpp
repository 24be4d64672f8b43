#include "clients_harness.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace fs = std::filesystem;

namespace skiff::test {

std::string fixture_oci_layout() {
  return SKIFF_FIXTURE_OCI_LAYOUT;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string unique_name(const std::string& stem) {
  static std::atomic<int> n{0};
  return stem + "-" + std::to_string(getpid()) + "-" + std::to_string(n++);
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv, const std::string& log_path) {
  int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log < 0 || null < 0) throw std::runtime_error("open " + log_path);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, null, 0);
  posix_spawn_file_actions_adddup2(&fa, log, 1);
  posix_spawn_file_actions_adddup2(&fa, log, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(log);
  close(null);
  if (rc != 0) throw std::runtime_error("spawn " + argv[0] + ": " + std::strerror(rc));
}

BackgroundProcess::~BackgroundProcess() {
  stop();
}

bool BackgroundProcess::running() {
  if (pid_ <= 0) return false;
  int status;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void BackgroundProcess::stop() {
  if (!running()) return;
  kill(pid_, SIGTERM);
  // A grace period for a clean shutdown, then SIGKILL: the process goes away whatever happens.
  for (int i = 0; i < 100 && running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
static std::string unescape_mountinfo(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8)));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string> mounts_under(const std::string& dir) {
  std::ifstream f("/proc/self/mountinfo");
  std::vector<std::string> found;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, point;
    fields >> id >> parent >> devno >> root >> point;
    point = unescape_mountinfo(point);
    if (point == dir || point.rfind(dir + "/", 0) == 0) found.push_back(point);
  }
  // Deepest first, so that unmounting in this order never hits a busy parent.
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  return found;
}

size_t unmount_under(const std::string& dir) {
  auto points = mounts_under(dir);
  for (const auto& p : points) umount2(p.c_str(), MNT_DETACH);
  return points.size();
}

// Every hierarchy under /sys/fs/cgroup once (cpu and cpuacct are often links to "cpu,cpuacct").
static std::vector<std::string> cgroup_hierarchies() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    if (e.is_symlink(ec) || !e.is_directory(ec)) continue;
    out.push_back(e.path().string());
  }
  if (out.empty()) out.push_back("/sys/fs/cgroup");
  return out;
}

std::vector<std::string> cgroup_dirs(const std::string& path) {
  std::vector<std::string> out;
  struct stat st;
  for (const auto& h : cgroup_hierarchies())
    if (stat((h + path).c_str(), &st) == 0) out.push_back(h + path);
  return out;
}

static void rmdir_tree(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory(ec) && !e.is_symlink(ec)) rmdir_tree(e.path().string());
  rmdir(dir.c_str());
}

void remove_cgroup_dirs(const std::string& path) {
  for (const auto& d : cgroup_dirs(path)) rmdir_tree(d);
}

ClientRuntime client_runtime(const std::string& name, const std::string& work) {
  ClientRuntime r{name, "", ""};
  if (name == "skiff") {
    r.binary = runtime_binary();
    return r;
  }
  if (name != "crun") throw std::invalid_argument("unknown runtime " + name);
  if (access("/usr/bin/crun", X_OK) != 0) {
    r.skip_reason = "crun is not installed (Debian package crun)";
    return r;
  }
  const std::string controllers = "/sys/fs/cgroup/unified/cgroup.controllers";
  if (access(controllers.c_str(), F_OK) != 0) {
    r.binary = "/usr/bin/crun";  // not a hybrid host: crun runs as it is
    return r;
  }
  std::string empty = work + "/empty";
  std::ofstream(empty).close();
  r.binary = work + "/crun-hybrid";
  std::ofstream w(r.binary);
  w << "#!/bin/sh\n"
    << "# crun refuses hybrid cgroup hosts: hide the unified controller list in a private mount namespace.\n"
    << "exec unshare -m sh -c 'mount --bind " << empty << " " << controllers
    << " && exec /usr/bin/crun \"$@\"' crun \"$@\"\n";
  w.close();
  chmod(r.binary.c_str(), 0755);
  return r;
}

std::string unsupported_by_skiff(const std::string& command) {
  // Any id: the command must fail either way; what matters is whether it says it is unimplemented.
  TempDir root("skiff-probe");
  auto r = run_command({runtime_binary(), "--root", root.path(), command, "skiff-probe-none"});
  if (r.err.find("not supported yet") != std::string::npos)
    return "skiff-runtime " + command + " is not supported yet (cgroups work not landed)";
  return "";
}

static std::string read_whole(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Containerd::Containerd() : dir_("skiff-containerd"), ns_(unique_name("skiff-clients")) {
  socket_ = dir() + "/containerd.sock";
  {
    std::ofstream c(dir() + "/config.toml");
    c << "version = 2\n"
      << "root = \"" << dir() << "/root\"\n"
      << "state = \"" << dir() << "/state\"\n"
      << "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
      << "[grpc]\n  address = \"" << socket_ << "\"\n"
      << "[ttrpc]\n  address = \"" << socket_ << ".ttrpc\"\n"
      << "[debug]\n  address = \"\"\n"
      << "[metrics]\n  address = \"\"\n";
  }
  daemon_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{"/usr/bin/containerd", "--config", dir() + "/config.toml"},
      dir() + "/containerd.log");
  // Ready when it answers on its socket.
  for (int i = 0;; ++i) {
    if (!daemon_->running()) throw std::runtime_error("containerd exited: " + daemon_log());
    if (access(socket_.c_str(), F_OK) == 0 && ctr({"version"}, 10).status == 0) break;
    if (i > 300) throw std::runtime_error("containerd did not come up: " + daemon_log());
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  auto r = ctr({"images", "import", "--base-name", "skiff-fixture", fixture_oci_layout()});
  if (r.status != 0) throw std::runtime_error("ctr images import: " + r.out + r.err);
}

Containerd::~Containerd() {
  if (daemon_ && daemon_->running()) {
    for (const auto& id : containers()) remove_container(id);
    ctr({"images", "rm", image()}, 30);
  }
  if (daemon_) daemon_->stop();
  // A shim outlives containerd; each one left writes its pid in the task's state dir.
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir() + "/state", ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->path().filename() != "shim.pid") continue;
    pid_t pid = static_cast<pid_t>(std::atoi(read_whole(it->path()).c_str()));
    if (pid > 1) kill(pid, SIGKILL);
  }
  unmount_under(dir());
}

Result Containerd::ctr(const std::vector<std::string>& args, int timeout_s) const {
  std::vector<std::string> argv = {"/usr/bin/ctr", "--address", socket_, "--namespace", ns_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, "", timeout_s);
}

std::string Containerd::daemon_log() const {
  return read_whole(dir() + "/containerd.log");
}

void Containerd::remove_container(const std::string& id) const {
  ctr({"task", "delete", "--force", id}, 30);
  ctr({"containers", "delete", id}, 30);
}

static std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

std::vector<std::string> Containerd::containers() const {
  return lines_of(ctr({"containers", "list", "--quiet"}).out);
}

std::vector<std::string> Containerd::tasks() const {
  // `task list` has no --quiet in 1.6: the first column of every row after the header.
  auto rows = lines_of(ctr({"task", "list"}).out);
  std::vector<std::string> ids;
  for (size_t i = 1; i < rows.size(); ++i) ids.push_back(rows[i].substr(0, rows[i].find(' ')));
  return ids;
}

Podman::Podman(const std::string& runtime_binary) : dir_("skiff-podman"), runtime_(runtime_binary) {
  auto r = podman({"load", "--quiet", "--input", fixture_oci_layout()}, 120);
  if (r.status != 0) throw std::runtime_error("podman load: " + r.out + r.err);
  // `podman load` names an OCI layout's image after its ref.name ("latest"): give it a real name.
  auto ids = podman({"images", "--quiet"});
  std::string id = ids.out.substr(0, ids.out.find('\n'));
  auto t = podman({"tag", id, image()});
  if (id.empty() || t.status != 0) throw std::runtime_error("podman tag: " + ids.out + t.err);
}

Podman::~Podman() {
  podman({"rm", "--all", "--force", "--time", "0"}, 60);
  podman({"rmi", "--all", "--force"}, 60);
  unmount_under(dir());
  for (const auto& cg : cgroup_parents_) remove_cgroup_dirs(cg);
}

Result Podman::podman(const std::vector<std::string>& args, int timeout_s) const {
  // clang-format off
  std::vector<std::string> argv = {"/usr/bin/podman",
                                   "--root", dir() + "/root",
                                   "--runroot", dir() + "/runroot",
                                   "--tmpdir", dir() + "/tmp",
                                   "--runtime", runtime_,
                                   "--cgroup-manager", "cgroupfs",
                                   "--events-backend", "file",
                                   "--storage-driver", "overlay"};
  // clang-format on
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, "", timeout_s);
}

Result Podman::run(const std::vector<std::string>& flags, const std::vector<std::string>& args,
                   int timeout_s) {
  std::string parent = "/" + unique_name("skiff-podman");
  cgroup_parents_.push_back(parent);
  std::string cidfile = dir() + "/" + unique_name("cid");
  // clang-format off
  std::vector<std::string> a = {"run",
                                "--ulimit", "nofile=1024:1024",
                                "--ulimit", "nproc=1024:1024",
                                "--network", "none",
                                "--cgroup-parent", parent,
                                "--cidfile", cidfile};
  // clang-format on
  a.insert(a.end(), flags.begin(), flags.end());
  a.push_back(image());
  a.insert(a.end(), args.begin(), args.end());
  auto r = podman(a, timeout_s);
  std::string id;
  std::ifstream(cidfile) >> id;
  if (!id.empty()) ids_.push_back(id);
  return r;
}

}  // namespace skiff::test
