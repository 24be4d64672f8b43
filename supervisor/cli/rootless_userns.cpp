#include "rootless_userns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "error.hpp"
#include "file_util.hpp"
#include "owner.hpp"
#include "spec.hpp"
#include "store_locations.hpp"
#include "unique_fd.hpp"
#include "userns.hpp"

namespace skiff::cli {

namespace {

// 0 -> the caller's own id, 1.. -> its first subordinate range in `file`.
std::vector<spec::IdMapping> maps_for(const char* file, uint32_t own, const std::string& user) {
  std::vector<SubIdRange> ranges;
  try {
    ranges = parse_subid_ranges(read_file(file), user, own);
  } catch (const Error&) {
    // no file: no ranges
  }
  if (ranges.empty())
    throw Error("rootless run: " + user + " has no range in " + file +
                " (needed so that an image's users exist; add one with usermod --add-subuids/--add-subgids)");
  uint64_t count = std::min<uint64_t>(ranges[0].count, 0xffffffffULL - 1);
  return {{0, own, 1}, {1, static_cast<uint32_t>(ranges[0].start), static_cast<uint32_t>(count)}};
}

}  // namespace

void enter_rootless_user_namespace() {
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  std::string user = owner_name(uid);
  spec::Spec s;
  s.linux.emplace();
  s.linux->uid_mappings = maps_for("/etc/subuid", uid, user);
  s.linux->gid_mappings = maps_for("/etc/subgid", gid, user);
  check_user_namespace_maps(s);

  // Inside, geteuid() is 0: the defaults would name the host's store and state root.
  ::setenv("SKIFF_IMAGE_STORE", image_store().root.c_str(), 1);
  ::setenv("SKIFF_RUNTIME_ROOT", runtime_root().c_str(), 1);

  // The maps must be written from outside by a process of ours (newuidmap checks that): a helper
  // child waits until we have unshared, writes them, and reports its error text, if any, back.
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw Error(errno, "pipe");
  UniqueFd go_rd(p[0]), go_wr(p[1]);
  if (::pipe2(p, O_CLOEXEC) != 0) throw Error(errno, "pipe");
  UniqueFd err_rd(p[0]), err_wr(p[1]);
  pid_t self = ::getpid();
  pid_t helper = ::fork();
  if (helper < 0) throw Error(errno, "fork");
  if (helper == 0) {
    go_wr.reset();
    err_rd.reset();
    char c;
    if (::read(go_rd.get(), &c, 1) != 1) ::_exit(1);  // the parent could not unshare: nothing to do
    std::string msg;
    try {
      write_user_namespace_maps(self, s);
      ::_exit(0);
    } catch (const std::exception& e) {
      msg = e.what();
    }
    ssize_t n = ::write(err_wr.get(), msg.data(), msg.size());
    (void)n;
    ::_exit(1);
  }
  go_rd.reset();
  err_wr.reset();
  auto reap = [&] {
    int status = 0;
    while (::waitpid(helper, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
  };
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
    int e = errno;
    go_wr.reset();
    reap();
    throw Error(e, e == EINVAL ? "rootless run: unshare a user namespace (the process has threads)"
                               : "rootless run: unshare a user namespace");
  }
  if (::write(go_wr.get(), "g", 1) != 1) throw Error(errno, "rootless run: signal the id map helper");
  go_wr.reset();
  int status = reap();
  std::string msg;
  char buf[512];
  for (ssize_t n; (n = ::read(err_rd.get(), buf, sizeof buf)) > 0;) msg.append(buf, static_cast<size_t>(n));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error("rootless run: map ids into the user namespace: " + (msg.empty() ? "helper failed" : msg));
  // Now uid 0 of the namespace, with its capabilities; the mount namespace's mounts are slaves of the
  // host's (a less privileged namespace), so nothing mounted here propagates out.
  if (::geteuid() != 0) throw Error("rootless run: still not uid 0 in the user namespace after mapping");
}

}  // namespace skiff::cli
