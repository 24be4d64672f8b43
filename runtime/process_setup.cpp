#include "process_setup.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/magic.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "error.hpp"
#include "sync.hpp"

namespace skiff {

static constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

ProcessPlan plan_process(const spec::Process& p) {
  ProcessPlan plan;
  plan.argv_storage = p.args;
  plan.env_storage = p.env;
  plan.path_env = kDefaultPath;
  for (const auto& e : p.env)
    if (e.rfind("PATH=", 0) == 0) plan.path_env = e.substr(5);
  for (auto& a : plan.argv_storage) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  for (auto& e : plan.env_storage) plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);
  return plan;
}

void child_set_rlimits(const spec::Process& p) noexcept {
  for (const auto& r : p.rlimits) {
    struct rlimit rl = {static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
    if (setrlimit(r.resource, &rl) < 0) {
      int e = errno;
      struct rlimit cur;
      getrlimit(r.resource, &cur);
      if (e == EPERM && rl.rlim_max > cur.rlim_max)
        child_fail(0, "setrlimit %s: hard limit %llu is above what this host allows (%llu)", r.type.c_str(),
                   static_cast<unsigned long long>(rl.rlim_max),
                   static_cast<unsigned long long>(cur.rlim_max));
      child_fail(e, "setrlimit %s (soft %llu, hard %llu)", r.type.c_str(),
                 static_cast<unsigned long long>(r.soft), static_cast<unsigned long long>(r.hard));
    }
  }
}

void child_switch_user(const spec::Process& p) noexcept {
  const auto& u = p.user;
  std::vector<gid_t> groups(u.additional_gids.begin(), u.additional_gids.end());
  if (setgroups(groups.size(), groups.empty() ? nullptr : groups.data()) < 0) {
    // In a user namespace with setgroups denied, only an empty list would be allowed anyway.
    if (!(errno == EPERM && groups.empty())) child_fail(errno, "setgroups");
  }
  if (setresgid(u.gid, u.gid, u.gid) < 0) child_fail(errno, "setresgid %u", u.gid);
  if (setresuid(u.uid, u.uid, u.uid) < 0) child_fail(errno, "setresuid %u", u.uid);
  umask(u.umask ? *u.umask : 022);
}

void child_chdir(const spec::Process& p) noexcept {
  if (chdir(p.cwd.c_str()) < 0) child_fail(errno, "chdir to cwd (\"%s\") set in config.json", p.cwd.c_str());
  // A cwd reached through a directory fd inherited from the host (/proc/self/fd/N) lies outside our
  // root, and getcwd says so (ENOENT, "unreachable"): refuse to start there (CVE-2024-21626).
  char where[4096];
  if (!getcwd(where, sizeof where) && errno == ENOENT)
    child_fail(0, "chdir to cwd (\"%s\") set in config.json: it is outside the container's root", p.cwd.c_str());
}

void child_find_executable(const ProcessPlan& plan, char* out, size_t out_len) noexcept {
  const char* name = plan.argv[0];
  struct stat st;
  if (strchr(name, '/')) {
    if (stat(name, &st) < 0) child_fail(errno, "exec: \"%s\"", name);
    if (S_ISDIR(st.st_mode)) child_fail(EACCES, "exec: \"%s\" is a directory", name);
    snprintf(out, out_len, "%s", name);
    return;
  }
  const char* path = plan.path_env.c_str();
  while (*path) {
    const char* colon = strchr(path, ':');
    size_t len = colon ? static_cast<size_t>(colon - path) : strlen(path);
    snprintf(out, out_len, "%.*s/%s", static_cast<int>(len), len ? path : ".", name);
    if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0) return;
    path += len;
    if (*path == ':') ++path;
  }
  child_fail(0, "exec: \"%s\": executable file not found in $PATH", name);
}

void child_close_fds(int preserve_fds) noexcept {
  unsigned first = 3u + static_cast<unsigned>(preserve_fds);
  if (syscall(SYS_close_range, first, ~0u, CLOSE_RANGE_CLOEXEC) < 0) {
    // Old kernels: walk the fds by hand.
    for (int fd = static_cast<int>(first); fd < 65536; ++fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
}

void child_set_oom_score_adj(int adj) noexcept {
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0) child_fail(errno, "open /proc/self/oom_score_adj");
  char buf[16];
  int n = snprintf(buf, sizeof buf, "%d", adj);
  if (write(fd, buf, static_cast<size_t>(n)) < 0) {
    int e = errno;
    // Lowering the score needs CAP_SYS_RESOURCE, which root lacks on some hosts: say so.
    child_fail(e, "set oomScoreAdj %d%s", adj,
               e == EACCES || e == EPERM ? " (lowering needs CAP_SYS_RESOURCE)" : "");
  }
  close(fd);
}

void child_set_personality(const spec::Spec& s) noexcept {
  if (!s.linux || !s.linux->personality) return;
  const auto& p = *s.linux->personality;
  unsigned long persona = p.domain == "LINUX32" ? PER_LINUX32 : PER_LINUX;
  if (personality(persona) < 0) child_fail(errno, "personality %s", p.domain.c_str());
}

void child_write_sysctls(const spec::Spec& s) noexcept {
  if (!s.linux || s.linux->sysctl.empty()) return;
  struct statfs sfs;
  if (statfs("/proc/sys", &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    child_fail(0, "sysctl: /proc/sys in the container is not procfs");
  for (const auto& [key, value] : s.linux->sysctl) {
    char path[512];
    int n = snprintf(path, sizeof path, "/proc/sys/");
    for (char c : key) {
      if (n >= static_cast<int>(sizeof path) - 1) break;
      path[n++] = c == '.' ? '/' : c;
    }
    path[n] = 0;
    if (strstr(key.c_str(), "..") || key.find('/') != std::string::npos)
      child_fail(0, "sysctl %s: invalid name", key.c_str());
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) child_fail(errno, "sysctl %s", key.c_str());
    if (write(fd, value.data(), value.size()) < 0)
      child_fail(errno, "sysctl %s=%s", key.c_str(), value.c_str());
    close(fd);
  }
}

}  // namespace skiff
