// See rootless_pasta.hpp.
#include "rootless_pasta.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "error.hpp"

extern char** environ;

namespace skiff::net {
namespace {

void check_id(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 128 && id[0] != '.';
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) ok = false;
  if (!ok) throw Error("invalid container id '" + id + "' (letters, digits, '_', '-', '.')");
}

double now_s() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The pid in `file`, or 0.
pid_t read_pid(const std::string& file) {
  std::ifstream in(file);
  long v = 0;
  if (!(in >> v) || v <= 0) return 0;
  return static_cast<pid_t>(v);
}

// True if `pid` is a live (not zombie) pasta/passt owned by this user.
bool is_our_pasta(pid_t pid) {
  std::string proc = "/proc/" + std::to_string(pid);
  struct stat st;
  if (stat(proc.c_str(), &st) != 0 || st.st_uid != geteuid()) return false;
  std::ifstream comm(proc + "/comm");
  std::string name;
  std::getline(comm, name);
  if (name != "pasta" && name != "passt" && name != "pasta.avx2" && name != "passt.avx2") return false;
  std::ifstream stat_file(proc + "/stat");
  std::string s((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  auto rp = s.rfind(')');
  return rp != std::string::npos && rp + 2 < s.size() && s[rp + 2] != 'Z' && s[rp + 2] != 'X';
}

bool gone(pid_t pid) {
  return !is_our_pasta(pid);
}

void stop(pid_t pid) {
  if (!is_our_pasta(pid)) return;
  kill(pid, SIGTERM);
  for (double end = now_s() + 2; now_s() < end; usleep(10000))
    if (gone(pid)) return;
  if (is_our_pasta(pid)) kill(pid, SIGKILL);
  for (double end = now_s() + 2; now_s() < end; usleep(10000))
    if (gone(pid)) return;
}

// pasta's last stderr line worth showing (it also prints its syslog failures there).
std::string last_line(const std::string& err) {
  std::istringstream in(err);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty() && line.rfind("Failed to send", 0) != 0) last = line;
  return last;
}

}  // namespace

std::string pasta_pid_file(const std::string& state_dir, const std::string& container_id) {
  check_id(container_id);
  return state_dir + "/pasta/" + container_id + ".pid";
}

std::vector<std::string> pasta_args(const PastaRequest& r, const std::string& pid_file) {
  std::string proc = "/proc/" + std::to_string(r.pid) + "/ns/";
  std::vector<std::string> a = {"--config-net", "-4",         "-q",       "--pid",      pid_file,
                                "--netns",      proc + "net", "--userns", proc + "user"};
  bool tcp = false, udp = false;
  for (const auto& p : r.ports) {
    std::string spec = std::to_string(p.host_port) + ":" + std::to_string(p.container_port);
    if (!p.any_host_ip()) spec = p.host_ip.str() + "/" + spec;
    a.push_back(p.proto == Proto::tcp ? "-t" : "-u");
    a.push_back(spec);
    (p.proto == Proto::tcp ? tcp : udp) = true;
  }
  // Only what was published goes in; nothing from the namespace out to the host's loopback ports.
  if (!tcp) a.insert(a.end(), {"-t", "none"});
  if (!udp) a.insert(a.end(), {"-u", "none"});
  a.insert(a.end(), {"-T", "none", "-U", "none"});
  return a;
}

PastaAttachment pasta_attach(const PastaRequest& r) {
  if (r.pid <= 0) throw Error("rootless attach needs the container's pid");
  const std::string file = pasta_pid_file(r.state_dir, r.container_id);
  for (size_t i = 0; i < r.ports.size(); ++i)
    for (size_t j = i + 1; j < r.ports.size(); ++j)
      if (r.ports[i].conflicts_with(r.ports[j]))
        throw Error("ports " + r.ports[i].str() + " and " + r.ports[j].str() + " conflict");
  for (const auto& p : r.ports) check_host_port_free(p);
  if (access(("/proc/" + std::to_string(r.pid) + "/ns/net").c_str(), F_OK) != 0)
    throw Error(errno, "container pid " + std::to_string(r.pid));

  std::error_code ec;
  std::filesystem::create_directories(r.state_dir + "/pasta", ec);
  if (ec) throw Error(ec.value(), "create " + r.state_dir + "/pasta");
  if (pid_t old = read_pid(file); old && is_our_pasta(old))
    throw Error("container " + r.container_id + " is attached already (pasta pid " + std::to_string(old) +
                ")");
  unlink(file.c_str());  // stale: its pasta is gone

  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) throw_errno("pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<std::string> args = pasta_args(r, file);
  args.insert(args.begin(), r.pasta);
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t child = 0;
  int rc = posix_spawnp(&child, r.pasta.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(err[1]);
  if (rc != 0) {
    close(err[0]);
    if (rc == ENOENT) throw Error("pasta not found (install Debian's passt): rootless networking needs it");
    throw Error(rc, "run " + r.pasta);
  }
  // pasta's first process exits once the daemon is set up (after writing the pid file).
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  std::string out;
  int status = 0;
  bool timed_out = false;
  for (double end = now_s() + 15;;) {
    struct pollfd p = {err[0], POLLIN, 0};
    poll(&p, 1, 10);
    char buf[4096];
    ssize_t k;
    while ((k = read(err[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(k));
    if (waitpid(child, &status, WNOHANG) == child) break;
    if (!timed_out && now_s() > end) {
      kill(child, SIGKILL);
      timed_out = true;
    }
  }
  close(err[0]);
  pid_t daemon = read_pid(file);
  if (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !daemon || !is_our_pasta(daemon)) {
    if (daemon) stop(daemon);
    unlink(file.c_str());
    std::string why = timed_out ? "timed out" : last_line(out);
    if (why.empty())
      why = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status)) : "killed by a signal";
    throw Error("pasta failed: " + why);
  }
  return {daemon, file};
}

bool pasta_detach(const std::string& state_dir, const std::string& container_id) {
  const std::string file = pasta_pid_file(state_dir, container_id);
  if (access(file.c_str(), F_OK) != 0) return false;
  if (pid_t pid = read_pid(file)) stop(pid);
  if (pid_t pid = read_pid(file); pid && is_our_pasta(pid))
    throw Error("pasta pid " + std::to_string(pid) + " did not stop");
  if (unlink(file.c_str()) != 0 && errno != ENOENT) throw_errno("remove " + file);
  return true;
}

}  // namespace skiff::net
