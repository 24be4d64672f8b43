#include "idmap_mounts.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.hpp"
#include "userns.hpp"

namespace skiff {
namespace {

int set_attr(int tree, unsigned flags, uint64_t set, uint64_t clr, int userns_fd) {
  struct mount_attr a = {};
  a.attr_set = set;
  a.attr_clr = clr;
  if (userns_fd >= 0) a.userns_fd = static_cast<uint64_t>(userns_fd);
  return static_cast<int>(::syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | flags, &a, sizeof a));
}

}  // namespace

UniqueFd make_mapping_userns(const std::vector<spec::IdMapping>& uids,
                             const std::vector<spec::IdMapping>& gids) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) throw Error(errno, "idmapped mount: pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  // A child born in a new user namespace that waits for us to close the pipe: long enough to write its
  // maps and take a handle on the namespace. It only reads and exits (we are single-threaded).
  long pid = ::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (pid < 0) throw Error(errno, "idmapped mount: create a user namespace");
  if (pid == 0) {
    char c;
    wr.reset();
    while (::read(rd.get(), &c, 1) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  rd.reset();
  struct Reap {
    pid_t pid;
    int* wr;
    ~Reap() {
      if (*wr >= 0) ::close(*wr);
      *wr = -1;
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  };
  int wr_fd = wr.release();
  Reap reap{static_cast<pid_t>(pid), &wr_fd};
  write_proc_file(static_cast<pid_t>(pid), "uid_map", id_map_text(uids));
  write_proc_file(static_cast<pid_t>(pid), "gid_map", id_map_text(gids));
  std::string ns = "/proc/" + std::to_string(pid) + "/ns/user";
  UniqueFd fd(::open(ns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw Error(errno, "idmapped mount: open " + ns);
  return fd;
}

UniqueFd make_idmapped_tree(const std::string& source, bool recursive,
                            const std::vector<spec::IdMapping>& uids,
                            const std::vector<spec::IdMapping>& gids, uint64_t attr_set, uint64_t attr_clr,
                            uint64_t rec_set, uint64_t rec_clr) {
  UniqueFd userns = make_mapping_userns(uids, gids);
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  UniqueFd tree(static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, source.c_str(), flags)));
  if (!tree) throw Error(errno, "idmapped mount: clone " + source);
  if (set_attr(tree.get(), recursive ? AT_RECURSIVE : 0, MOUNT_ATTR_IDMAP, 0, userns.get()) < 0)
    throw Error(errno, "idmapped mount of " + source + " (the filesystem may not support idmapping)");
  if ((attr_set || attr_clr) && set_attr(tree.get(), 0, attr_set, attr_clr, -1) < 0)
    throw Error(errno, "idmapped mount: attributes of " + source);
  if ((rec_set || rec_clr) && set_attr(tree.get(), AT_RECURSIVE, rec_set, rec_clr, -1) < 0)
    throw Error(errno, "idmapped mount: recursive attributes of " + source);
  return tree;
}

}  // namespace skiff
