#include "userns.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "error.hpp"
#include "file_util.hpp"
#include "log.hpp"
#include "owner.hpp"
#include "unique_fd.hpp"

extern char** environ;

namespace skiff {
namespace {

bool only_own_id(const std::vector<spec::IdMapping>& maps, uint32_t own) {
  return maps.size() == 1 && maps[0].host_id == own && maps[0].size == 1;
}

std::string find_helper(const char* name) {
  for (const char* dir : {"/usr/bin/", "/bin/", "/usr/local/bin/"}) {
    std::string p = std::string(dir) + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  throw Error(std::string("several id ranges need ") + name +
              " (Debian package uidmap), which is not installed");
}

// Runs newuidmap/newgidmap; its first stderr line becomes the error.
void run_helper(const char* name, pid_t pid, const std::vector<spec::IdMapping>& maps) {
  std::string path = find_helper(name);
  std::vector<std::string> args = {path, std::to_string(pid)};
  for (const auto& m : maps) {
    args.push_back(std::to_string(m.container_id));
    args.push_back(std::to_string(m.host_id));
    args.push_back(std::to_string(m.size));
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int err[2];
  if (::pipe2(err, O_CLOEXEC) < 0) throw Error(errno, "pipe");
  UniqueFd rd(err[0]), wr(err[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, wr.get(), 2);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t child;
  int rc = posix_spawn(&child, path.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw Error(rc, "run " + path);
  wr.reset();
  std::string text;
  char buf[512];
  for (ssize_t n; (n = ::read(rd.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  std::string line = text.substr(0, text.find('\n'));
  throw Error(std::string(name) + " failed" + (line.empty() ? "" : ": " + line));
}

std::string user_name(uid_t uid) {
  return owner_name(uid);
}

std::vector<SubIdRange> read_subids(const char* file, const std::string& user, uid_t id) {
  try {
    return parse_subid_ranges(read_file(file), user, id);
  } catch (const Error&) {
    return {};
  }
}

}  // namespace

std::vector<SubIdRange> parse_subid_ranges(const std::string& text, const std::string& user, uid_t id) {
  std::vector<SubIdRange> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto c1 = line.find(':');
    auto c2 = line.find(':', c1 == std::string::npos ? 0 : c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos) continue;
    std::string who = line.substr(0, c1);
    if (who != user && who != std::to_string(id)) continue;
    try {
      SubIdRange r{std::stoull(line.substr(c1 + 1, c2 - c1 - 1)), std::stoull(line.substr(c2 + 1))};
      if (r.count) out.push_back(r);
    } catch (...) {
      continue;  // a malformed line grants nothing
    }
  }
  return out;
}

void validate_id_mappings(const std::vector<spec::IdMapping>& maps, const char* field) {
  const std::string f = field;
  if (maps.empty()) throw Error("a new user namespace needs linux." + f);
  if (maps.size() > 340) throw Error("linux." + f + ": more than 340 ranges");
  for (size_t i = 0; i < maps.size(); ++i) {
    const auto& m = maps[i];
    std::string where = "linux." + f + "[" + std::to_string(i) + "]";
    if (m.size == 0) throw Error(where + ": size must be above 0");
    if (uint64_t(m.container_id) + m.size > (uint64_t(1) << 32) ||
        uint64_t(m.host_id) + m.size > (uint64_t(1) << 32))
      throw Error(where + ": range runs past 4294967295");
    for (size_t j = 0; j < i; ++j) {
      const auto& o = maps[j];
      auto overlap = [](uint64_t a, uint64_t an, uint64_t b, uint64_t bn) {
        return a < b + bn && b < a + an;
      };
      if (overlap(m.container_id, m.size, o.container_id, o.size))
        throw Error(where + ": container ids overlap linux." + f + "[" + std::to_string(j) + "]");
      if (overlap(m.host_id, m.size, o.host_id, o.size))
        throw Error(where + ": host ids overlap linux." + f + "[" + std::to_string(j) + "]");
    }
  }
}

void check_mappings_allowed(const std::vector<spec::IdMapping>& maps, uint32_t own_id,
                            const std::vector<SubIdRange>& allowed, const char* field, const char* file) {
  for (size_t i = 0; i < maps.size(); ++i) {
    const auto& m = maps[i];
    uint64_t lo = m.host_id, hi = uint64_t(m.host_id) + m.size;
    if (m.size == 1 && m.host_id == own_id) continue;
    bool ok = std::any_of(allowed.begin(), allowed.end(),
                          [&](const SubIdRange& r) { return lo >= r.start && hi <= r.start + r.count; });
    if (!ok)
      throw Error("linux." + std::string(field) + "[" + std::to_string(i) + "]: host ids " +
                  std::to_string(lo) + "-" + std::to_string(hi - 1) + " are not granted to this user by " +
                  file);
  }
}

void check_user_namespace_maps(const spec::Spec& s) {
  static const std::vector<spec::IdMapping> none;
  const auto& uids = s.linux ? s.linux->uid_mappings : none;
  const auto& gids = s.linux ? s.linux->gid_mappings : none;
  validate_id_mappings(uids, "uidMappings");
  validate_id_mappings(gids, "gidMappings");
  uid_t uid = ::geteuid();
  if (uid == 0) return;
  gid_t gid = ::getegid();
  std::string name = user_name(uid);
  if (!only_own_id(uids, uid))
    check_mappings_allowed(uids, uid, read_subids("/etc/subuid", name, uid), "uidMappings", "/etc/subuid");
  if (!only_own_id(gids, gid))
    check_mappings_allowed(gids, gid, read_subids("/etc/subgid", name, uid), "gidMappings", "/etc/subgid");
}

void write_user_namespace_maps(pid_t pid, const spec::Spec& s) {
  const auto& uids = s.linux->uid_mappings;
  const auto& gids = s.linux->gid_mappings;
  bool root = ::geteuid() == 0;
  if (root || only_own_id(uids, ::geteuid())) {
    write_proc_file(pid, "uid_map", id_map_text(uids));
  } else {
    run_helper("newuidmap", pid, uids);
  }
  if (root) {
    write_proc_file(pid, "gid_map", id_map_text(gids));
  } else if (only_own_id(gids, ::getegid())) {
    // An unprivileged writer must deny setgroups before it may write gid_map.
    write_proc_file(pid, "setgroups", "deny");
    write_proc_file(pid, "gid_map", id_map_text(gids));
  } else {
    run_helper("newgidmap", pid, gids);
  }
}

std::string id_map_text(const std::vector<spec::IdMapping>& m) {
  std::string out;
  for (const auto& e : m)
    out += std::to_string(e.container_id) + " " + std::to_string(e.host_id) + " " + std::to_string(e.size) +
           "\n";
  return out;
}

void write_proc_file(pid_t pid, const char* file, const std::string& data) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + file;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw Error(errno, "open " + path);
  if (::write(fd.get(), data.data(), data.size()) != static_cast<ssize_t>(data.size()))
    throw Error(errno, "write " + path + " (\"" + data.substr(0, data.find('\n')) + "...\")");
}

}  // namespace skiff
