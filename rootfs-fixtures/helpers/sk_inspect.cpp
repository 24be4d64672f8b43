// sk-inspect: prints, as one JSON object on one line, how the process sees itself from inside a
// container, so a test can compare it with what config.json asked for.
//   sk-inspect [--mounts]
// A value the process cannot read (no /proc mounted, say) is null rather than an error: tests of
// bare rootfs set-ups still get the rest.
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

extern char** environ;

namespace {

using Json = nlohmann::ordered_json;

std::optional<std::vector<std::string>> read_lines(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

Json lines_or_null(const char* path) {
  auto lines = read_lines(path);
  return lines ? Json(*lines) : Json(nullptr);
}

std::optional<std::string> read_link(int dirfd, const char* name) {
  char buf[PATH_MAX];
  ssize_t n = readlinkat(dirfd, name, buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

// "Name:\tvalue" lines of /proc/self/status.
std::vector<std::pair<std::string, std::string>> status_fields() {
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& line : read_lines("/proc/self/status").value_or(std::vector<std::string>{})) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    fields.emplace_back(line.substr(0, colon), value);
  }
  return fields;
}

Json ids() {
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  getresuid(&ruid, &euid, &suid);
  getresgid(&rgid, &egid, &sgid);
  Json j;
  j["uid"] = ruid;
  j["euid"] = euid;
  j["suid"] = suid;
  j["gid"] = rgid;
  j["egid"] = egid;
  j["sgid"] = sgid;
  return j;
}

Json groups() {
  int n = getgroups(0, nullptr);
  std::vector<gid_t> list(n > 0 ? static_cast<size_t>(n) : 0);
  if (n > 0) n = getgroups(n, list.data());
  if (n < 0) return nullptr;
  list.resize(static_cast<size_t>(n));
  return list;
}

// From /proc so that looking does not change it; umask(2) round trip only when /proc is missing.
Json umask_value(const std::vector<std::pair<std::string, std::string>>& status) {
  for (const auto& [name, value] : status) {
    if (name == "Umask") return std::stoi(value, nullptr, 8);
  }
  mode_t mask = umask(0);
  umask(mask);
  return mask;
}

Json cwd() {
  char buf[PATH_MAX];
  if (!getcwd(buf, sizeof buf)) return nullptr;
  return buf;
}

Json environment() {
  Json env = Json::array();
  for (char** e = environ; *e; ++e) env.push_back(*e);
  return env;
}

Json rlimits() {
  struct Limit {
    const char* name;
    int resource;
  };
  // Named as in config.json's process.rlimits[].type.
  static constexpr Limit kLimits[] = {
      {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_CORE", RLIMIT_CORE},
      {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
      {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_NPROC", RLIMIT_NPROC},
      {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_RTTIME", RLIMIT_RTTIME},
      {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_STACK", RLIMIT_STACK},
  };
  auto value = [](rlim_t v) -> Json {
    if (v == RLIM_INFINITY) return -1;
    return static_cast<unsigned long long>(v);
  };
  Json j = Json::object();
  for (const auto& limit : kLimits) {
    rlimit r{};
    if (getrlimit(limit.resource, &r) != 0) continue;
    j[limit.name] = {{"soft", value(r.rlim_cur)}, {"hard", value(r.rlim_max)}};
  }
  return j;
}

Json oom_score_adj() {
  auto lines = read_lines("/proc/self/oom_score_adj");
  if (!lines || lines->empty()) return nullptr;
  return std::stoi(lines->front());
}

Json capabilities(const std::vector<std::pair<std::string, std::string>>& status) {
  Json caps = Json::object();
  for (const auto& [name, value] : status) {
    if (name.starts_with("Cap")) caps[name] = value;
  }
  return caps;
}

Json status_field(const std::vector<std::pair<std::string, std::string>>& status, const char* field) {
  for (const auto& [name, value] : status) {
    if (name == field) return value;
  }
  return nullptr;
}

// Every open fd but the one this listing itself holds.
Json open_fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return nullptr;
  Json fds = Json::array();
  int own = dirfd(dir);
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    int fd = std::atoi(entry->d_name);
    if (fd == own) continue;
    auto target = read_link(own, entry->d_name);
    fds.push_back({{"fd", fd}, {"target", target ? Json(*target) : Json(nullptr)}});
  }
  closedir(dir);
  std::sort(fds.begin(), fds.end(), [](const Json& a, const Json& b) { return a["fd"] < b["fd"]; });
  return fds;
}

Json tty_info() {
  Json j = Json::object();
  const std::pair<const char*, int> streams[] = {{"stdin", 0}, {"stdout", 1}, {"stderr", 2}};
  for (const auto& [name, fd] : streams) {
    bool is_tty = isatty(fd) == 1;
    const char* tty_name = is_tty ? ttyname(fd) : nullptr;
    j[name] = {{"isatty", is_tty}, {"name", tty_name ? Json(tty_name) : Json(nullptr)}};
  }
  winsize ws{};
  if (isatty(1) == 1 && ioctl(1, TIOCGWINSZ, &ws) == 0) {
    j["winsize"] = {{"rows", ws.ws_row}, {"cols", ws.ws_col}};
  } else {
    j["winsize"] = nullptr;
  }
  return j;
}

// Namespace name -> inode number, parsed from the "net:[4026531840]" link text.
Json namespaces() {
  DIR* dir = opendir("/proc/self/ns");
  if (!dir) return nullptr;
  Json ns = Json::object();
  std::vector<std::string> names;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') names.emplace_back(entry->d_name);
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    auto target = read_link(dirfd(dir), name.c_str());
    auto open = target ? target->find('[') : std::string::npos;
    ns[name] = open == std::string::npos ? Json(nullptr) : Json(std::stoull(target->substr(open + 1)));
  }
  closedir(dir);
  return ns;
}

}  // namespace

int main(int argc, char** argv) {
  bool with_mounts = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--mounts") == 0) {
      with_mounts = true;
    } else {
      std::fprintf(stderr, "usage: sk-inspect [--mounts]\n");
      return 2;
    }
  }

  auto status = status_fields();
  utsname uts{};
  uname(&uts);

  Json j;
  j["args"] = std::vector<std::string>(argv, argv + argc);
  j["pid"] = getpid();
  j["ppid"] = getppid();
  j["pgid"] = getpgrp();
  j["sid"] = getsid(0);
  j.update(ids());
  j["groups"] = groups();
  j["umask"] = umask_value(status);
  j["cwd"] = cwd();
  j["hostname"] = uts.nodename;
  j["domainname"] = uts.domainname;
  j["env"] = environment();
  j["rlimits"] = rlimits();
  j["oom_score_adj"] = oom_score_adj();
  j["no_new_privs"] = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
  j["personality"] = personality(0xffffffff);
  j["capabilities"] = capabilities(status);
  j["seccomp"] = status_field(status, "Seccomp");
  j["fds"] = open_fds();
  j["tty"] = tty_info();
  j["namespaces"] = namespaces();
  j["cgroup"] = lines_or_null("/proc/self/cgroup");
  if (with_mounts) j["mounts"] = lines_or_null("/proc/self/mountinfo");

  // Replace rather than throw on bytes that are not UTF-8 (an env value, a path).
  std::string text = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  text += '\n';
  return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0 ? 0 : 1;
}
