#include "namespaces.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "error.hpp"
#include "file_util.hpp"
#include "sync.hpp"
#include "userns.hpp"

namespace skiff {

NamespacePlan plan_namespaces(const spec::Spec& s) {
  NamespacePlan plan;
  if (!s.linux) return plan;
  for (const auto& ns : s.linux->namespaces) {
    int flag = ns.clone_flag ? ns.clone_flag : spec::namespace_flag_from_type(ns.type);
    if (!flag) throw Error("unknown namespace type \"" + ns.type + "\"");
    if (flag == CLONE_NEWNS) plan.has_mount = true;
    if (ns.path.empty()) {
      if (flag == CLONE_NEWTIME) {
        plan.new_time = true;
      } else {
        plan.clone_flags |= static_cast<unsigned long>(flag);
        if (flag == CLONE_NEWUSER) plan.new_user = true;
      }
      continue;
    }
    UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw Error(errno, "open " + ns.type + " namespace " + ns.path);
    int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
    if (type < 0) throw Error(errno, ns.path + " is not a namespace");
    if (type != flag) throw Error(ns.path + " is not a " + ns.type + " namespace");
    if (flag == CLONE_NEWNS) plan.joins_mount = true;
    plan.joins.push_back({flag, std::move(fd), ns.path});
  }
  // The user namespace must be joined first: it decides what the other setns calls may do.
  std::stable_partition(plan.joins.begin(), plan.joins.end(),
                        [](const NamespaceJoin& j) { return j.flag == CLONE_NEWUSER; });
  // Mappings are checked before anything exists: a bad one must not leave a half-made container.
  if (plan.new_user) check_user_namespace_maps(s);
  if ((plan.clone_flags & CLONE_NEWTIME) == 0 && s.linux && !s.linux->time_offsets.empty() && !plan.new_time)
    throw Error("linux.timeOffsets needs a new time namespace");
  return plan;
}

void parent_enter_child_namespaces(NamespacePlan& plan, const spec::Spec& s) {
  for (auto it = plan.joins.begin(); it != plan.joins.end();) {
    if (it->flag == CLONE_NEWPID || it->flag == CLONE_NEWTIME) {
      if (::setns(it->fd.get(), it->flag) < 0) throw Error(errno, "join namespace " + it->path);
      it = plan.joins.erase(it);
    } else {
      ++it;
    }
  }
  if (plan.new_time) {
    if (::unshare(CLONE_NEWTIME) < 0) throw Error(errno, "create time namespace");
    std::string offsets;
    for (const auto& [clock, off] : s.linux->time_offsets)
      offsets += clock + " " + std::to_string(off.secs) + " " + std::to_string(off.nanosecs) + "\n";
    if (!offsets.empty()) {
      UniqueFd fd(::open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC));
      if (!fd || ::write(fd.get(), offsets.data(), offsets.size()) < 0)
        throw Error(errno, "write time namespace offsets");
    }
  }
}

void write_id_maps(pid_t pid, const spec::Spec& s) {
  if (!s.linux || s.linux->uid_mappings.empty() || s.linux->gid_mappings.empty())
    throw Error("a new user namespace needs linux.uidMappings and linux.gidMappings");
  write_user_namespace_maps(pid, s);
}

void child_join_namespaces(const NamespacePlan& plan) noexcept {
  for (const auto& j : plan.joins) {
    if (::setns(j.fd.get(), j.flag) < 0) child_fail(errno, "join namespace %s", j.path.c_str());
  }
}

bool namespace_differs(pid_t pid, const char* name) {
  char a[64], b[64];
  snprintf(a, sizeof a, "/proc/self/ns/%s", name);
  snprintf(b, sizeof b, "/proc/%d/ns/%s", pid, name);
  struct stat sa, sb;
  if (::stat(a, &sa) < 0 || ::stat(b, &sb) < 0) return false;
  return sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev;
}

}  // namespace skiff
