#include "mounts.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>
#include <string_view>
#include <unordered_map>

#include "error.hpp"
#include "file_util.hpp"
#include "idmap_mounts.hpp"
#include "rootless.hpp"
#include "sync.hpp"
#include "unique_fd.hpp"
#include "userns.hpp"

namespace skiff {
namespace {

struct FlagWord {
  unsigned long set = 0;
  unsigned long clear = 0;
};

const std::unordered_map<std::string_view, FlagWord>& flag_words() {
  static const std::unordered_map<std::string_view, FlagWord> m = {
      {"defaults", {}},
      {"ro", {MS_RDONLY, 0}},
      {"rw", {0, MS_RDONLY}},
      {"nosuid", {MS_NOSUID, 0}},
      {"suid", {0, MS_NOSUID}},
      {"nodev", {MS_NODEV, 0}},
      {"dev", {0, MS_NODEV}},
      {"noexec", {MS_NOEXEC, 0}},
      {"exec", {0, MS_NOEXEC}},
      {"sync", {MS_SYNCHRONOUS, 0}},
      {"async", {0, MS_SYNCHRONOUS}},
      {"dirsync", {MS_DIRSYNC, 0}},
      {"remount", {MS_REMOUNT, 0}},
      {"mand", {MS_MANDLOCK, 0}},
      {"nomand", {0, MS_MANDLOCK}},
      {"atime", {0, MS_NOATIME}},
      {"noatime", {MS_NOATIME, 0}},
      {"diratime", {0, MS_NODIRATIME}},
      {"nodiratime", {MS_NODIRATIME, 0}},
      {"relatime", {MS_RELATIME, 0}},
      {"norelatime", {0, MS_RELATIME}},
      {"strictatime", {MS_STRICTATIME, 0}},
      {"nostrictatime", {0, MS_STRICTATIME}},
      {"iversion", {MS_I_VERSION, 0}},
      {"noiversion", {0, MS_I_VERSION}},
      {"lazytime", {MS_LAZYTIME, 0}},
      {"nolazytime", {0, MS_LAZYTIME}},
      {"silent", {MS_SILENT, 0}},
      {"loud", {0, MS_SILENT}},
      {"nosymfollow", {MS_NOSYMFOLLOW, 0}},
      {"symfollow", {0, MS_NOSYMFOLLOW}},
  };
  return m;
}

struct RecAttr {
  uint64_t set = 0;
  uint64_t clr = 0;
};

const std::unordered_map<std::string_view, RecAttr>& rec_attr_words() {
  static const std::unordered_map<std::string_view, RecAttr> m = {
      {"rro", {MOUNT_ATTR_RDONLY, 0}},
      {"rrw", {0, MOUNT_ATTR_RDONLY}},
      {"rnosuid", {MOUNT_ATTR_NOSUID, 0}},
      {"rsuid", {0, MOUNT_ATTR_NOSUID}},
      {"rnodev", {MOUNT_ATTR_NODEV, 0}},
      {"rdev", {0, MOUNT_ATTR_NODEV}},
      {"rnoexec", {MOUNT_ATTR_NOEXEC, 0}},
      {"rexec", {0, MOUNT_ATTR_NOEXEC}},
      {"rnodiratime", {MOUNT_ATTR_NODIRATIME, 0}},
      {"rdiratime", {0, MOUNT_ATTR_NODIRATIME}},
      {"rrelatime", {MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME}},
      {"rnorelatime", {0, MOUNT_ATTR_RELATIME}},
      {"rnoatime", {MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME}},
      {"ratime", {0, MOUNT_ATTR_NOATIME}},
      {"rstrictatime", {MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME}},
      {"rnostrictatime", {0, MOUNT_ATTR_STRICTATIME}},
      {"rnosymfollow", {MOUNT_ATTR_NOSYMFOLLOW, 0}},
      {"rsymfollow", {0, MOUNT_ATTR_NOSYMFOLLOW}},
  };
  return m;
}

// MS_* per-mount flags as MOUNT_ATTR_* for mount_setattr on a bind tree.
void flags_to_attr(unsigned long set, unsigned long clear, uint64_t* aset, uint64_t* aclr) {
  auto map = [&](unsigned long ms, uint64_t attr) {
    if (set & ms) *aset |= attr;
    if (clear & ms) *aclr |= attr;
  };
  map(MS_RDONLY, MOUNT_ATTR_RDONLY);
  map(MS_NOSUID, MOUNT_ATTR_NOSUID);
  map(MS_NODEV, MOUNT_ATTR_NODEV);
  map(MS_NOEXEC, MOUNT_ATTR_NOEXEC);
  map(MS_NODIRATIME, MOUNT_ATTR_NODIRATIME);
  map(MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW);
  // atime: one of three values inside the MOUNT_ATTR__ATIME field.
  if (set & MS_NOATIME) {
    *aset |= MOUNT_ATTR_NOATIME;
    *aclr |= MOUNT_ATTR__ATIME;
  } else if (set & MS_STRICTATIME) {
    *aset |= MOUNT_ATTR_STRICTATIME;
    *aclr |= MOUNT_ATTR__ATIME;
  } else if (set & MS_RELATIME) {
    *aset |= MOUNT_ATTR_RELATIME;
    *aclr |= MOUNT_ATTR__ATIME;
  }
}

long sys_openat2(int dirfd, const char* path, int flags, uint64_t resolve) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = resolve;
  return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

// Opens `path` (absolute in the container) inside root_fd, symlinks resolved as if root_fd were "/".
int open_in_root(int root_fd, const char* path, int flags) {
  while (*path == '/') ++path;
  if (!*path) path = ".";
  return static_cast<int>(
      sys_openat2(root_fd, path, flags | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS));
}

// Creates every missing directory of `path` inside root_fd; returns an O_PATH fd of the last one.
int mkdir_in_root(int root_fd, const char* path, mode_t mode) {
  int fd = open_in_root(root_fd, path, O_PATH | O_DIRECTORY);
  if (fd >= 0 || errno != ENOENT) return fd;
  char buf[4096];
  size_t len = strnlen(path, sizeof buf - 1);
  memcpy(buf, path, len);
  buf[len] = 0;
  while (len > 1 && buf[len - 1] == '/') buf[--len] = 0;
  char* slash = strrchr(buf, '/');
  int parent;
  const char* name;
  if (!slash || slash == buf) {
    parent = dup(root_fd);
    name = slash ? slash + 1 : buf;
  } else {
    *slash = 0;
    parent = mkdir_in_root(root_fd, buf, mode);
    name = slash + 1;
  }
  if (parent < 0) return -1;
  if (mkdirat(parent, name, mode) < 0 && errno != EEXIST) {
    int e = errno;
    close(parent);
    errno = e;
    return -1;
  }
  close(parent);
  return open_in_root(root_fd, path, O_PATH | O_DIRECTORY);
}

// Creates `path` as an empty file inside root_fd (parents too); returns an O_PATH fd of it.
int mkfile_in_root(int root_fd, const char* path) {
  int fd = open_in_root(root_fd, path, O_PATH);
  if (fd >= 0 || errno != ENOENT) return fd;
  char buf[4096];
  size_t len = strnlen(path, sizeof buf - 1);
  memcpy(buf, path, len);
  buf[len] = 0;
  char* slash = strrchr(buf, '/');
  if (!slash) return -1;
  *slash = 0;
  int parent = mkdir_in_root(root_fd, *buf ? buf : "/", 0755);
  if (parent < 0) return -1;
  // O_PATH dirfds cannot create files: reopen the parent as a real directory fd.
  int dfd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  close(parent);
  if (dfd < 0) return -1;
  int f = openat(dfd, slash + 1, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
  close(dfd);
  if (f < 0 && errno != EEXIST) return -1;
  if (f >= 0) close(f);
  return open_in_root(root_fd, path, O_PATH);
}

void fd_path(int fd, char* out, size_t n) {
  snprintf(out, n, "/proc/self/fd/%d", fd);
}

// Binds `source` (host path, or fd-relative with AT_EMPTY_PATH) onto target_fd with the new mount
// API: the attributes are set on the detached tree, so no remount round trip is needed.
int bind_onto(int src_dirfd, const char* source, int target_fd, bool recursive, uint64_t attr_set,
              uint64_t attr_clr, uint64_t rec_set, uint64_t rec_clr) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  if (!*source) flags |= AT_EMPTY_PATH;
  int tree = static_cast<int>(open_tree(src_dirfd, source, flags));
  if (tree < 0) return -1;
  if (attr_set || attr_clr) {
    struct mount_attr a = {};
    a.attr_set = attr_set;
    a.attr_clr = attr_clr;
    if (mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof a) < 0) {
      int e = errno;
      close(tree);
      errno = e;
      return -1;
    }
  }
  if (rec_set || rec_clr) {
    struct mount_attr a = {};
    a.attr_set = rec_set;
    a.attr_clr = rec_clr;
    if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0) {
      int e = errno;
      close(tree);
      errno = e;
      return -1;
    }
  }
  int rc = move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  int e = errno;
  close(tree);
  errno = e;
  return rc;
}

}  // namespace

unsigned long propagation_from_name(const std::string& name) {
  if (name.empty()) return 0;
  if (name == "shared") return MS_SHARED;
  if (name == "rshared") return MS_SHARED | MS_REC;
  if (name == "slave") return MS_SLAVE;
  if (name == "rslave") return MS_SLAVE | MS_REC;
  if (name == "private") return MS_PRIVATE;
  if (name == "rprivate") return MS_PRIVATE | MS_REC;
  if (name == "unbindable") return MS_UNBINDABLE;
  if (name == "runbindable") return MS_UNBINDABLE | MS_REC;
  throw Error("unknown propagation \"" + name + "\"");
}

MountPlan plan_mount(const spec::Mount& m, size_t index, const std::string& bundle) {
  auto where = [&] { return "mounts[" + std::to_string(index) + "] (" + m.destination + ")"; };
  MountPlan p;
  p.destination = m.destination;
  p.type = m.type;
  p.source = m.source;
  std::string data;
  for (const auto& w : m.options) {
    if (w == "bind" || w == "rbind") {
      p.bind = true;
      p.recursive = p.recursive || w == "rbind";
      continue;
    }
    if (auto it = flag_words().find(w); it != flag_words().end()) {
      p.flags = (p.flags & ~it->second.clear) | it->second.set;
      p.clear_flags = (p.clear_flags & ~it->second.set) | it->second.clear;
      continue;
    }
    if (auto it = rec_attr_words().find(w); it != rec_attr_words().end()) {
      p.rec_attr_set = (p.rec_attr_set & ~it->second.clr) | it->second.set;
      p.rec_attr_clr |= it->second.clr;
      continue;
    }
    if (w == "shared" || w == "rshared" || w == "slave" || w == "rslave" || w == "private" ||
        w == "rprivate" || w == "unbindable" || w == "runbindable") {
      p.propagation = propagation_from_name(w);
      continue;
    }
    if (w == "idmap" || w == "ridmap") {
      p.idmap = w == "ridmap" ? 2 : 1;
      continue;
    }
    if (w == "tmpcopyup") {
      p.tmpcopyup = true;
      continue;
    }
    // Anything else is filesystem data (mode=755, size=64k, newinstance, ...), as runc passes it.
    if (!data.empty()) data += ',';
    data += w;
  }
  p.data = std::move(data);
  if (p.type == "bind" || p.type == "none" || p.type.empty()) {
    if (!p.bind && p.type == "bind") p.bind = true;
    if (!p.bind) throw Error(where() + ": mount type \"" + p.type + "\" needs the bind or rbind option");
  }
  if (p.bind) {
    p.type = "bind";
    if (p.source.empty()) throw Error(where() + ": bind mount without a source");
    if (p.source[0] != '/') p.source = bundle + "/" + p.source;
    struct stat st;
    if (::stat(p.source.c_str(), &st) < 0) throw Error(errno, where() + ": bind source " + p.source);
    p.source_is_dir = S_ISDIR(st.st_mode);
    if (!p.data.empty())
      throw Error(where() + ": unknown mount option \"" + p.data.substr(0, p.data.find(',')) + "\"");
  }
  if (p.tmpcopyup && p.type != "tmpfs") throw Error(where() + ": tmpcopyup needs a tmpfs mount");
  if (!p.idmap && (!m.uid_mappings.empty() || !m.gid_mappings.empty())) p.idmap = p.recursive ? 2 : 1;
  if (p.idmap && !p.bind) throw Error(where() + ": idmapped mounts need a bind mount");
  return p;
}

std::vector<MountPlan> plan_mounts(const spec::Spec& s, const std::string& bundle) {
  std::vector<MountPlan> out;
  out.reserve(s.mounts.size());
  for (size_t i = 0; i < s.mounts.size(); ++i) {
    MountPlan p = plan_mount(s.mounts[i], i, bundle);
    if (p.idmap) {
      const auto& m = s.mounts[i];
      std::string where = "mounts[" + std::to_string(i) + "] (" + m.destination + ")";
      // Without maps of its own, the mount takes the container's user namespace maps (spec: idmap).
      const auto& uids = !m.uid_mappings.empty() ? m.uid_mappings
                         : s.linux               ? s.linux->uid_mappings
                                                 : m.uid_mappings;
      const auto& gids = !m.gid_mappings.empty() ? m.gid_mappings
                         : s.linux               ? s.linux->gid_mappings
                                                 : m.gid_mappings;
      if (uids.empty() || gids.empty())
        throw Error(where +
                    ": an idmapped mount needs uidMappings and gidMappings (its own or the container's)");
      validate_id_mappings(uids, (where + ": uidMappings").c_str());
      validate_id_mappings(gids, (where + ": gidMappings").c_str());
      if (is_rootless()) throw Error(where + ": idmapped mounts need root (CAP_SYS_ADMIN on the host)");
      uint64_t aset = 0, aclr = 0;
      flags_to_attr(p.flags, p.clear_flags, &aset, &aclr);
      p.idmapped_tree = std::make_shared<UniqueFd>(
          make_idmapped_tree(p.source, p.idmap == 2, uids, gids, aset, aclr, p.rec_attr_set, p.rec_attr_clr));
    }
    out.push_back(std::move(p));
  }
  return out;
}

CgroupHostView read_cgroup_host_view() {
  CgroupHostView v;
  // Our own cgroup per hierarchy: "ID:controllers:path".
  std::unordered_map<std::string, std::string> own;  // controller list (or "" for v2) -> path
  std::string cg = read_file("/proc/self/cgroup");
  size_t pos = 0;
  while (pos < cg.size()) {
    size_t eol = cg.find('\n', pos);
    if (eol == std::string::npos) eol = cg.size();
    std::string_view line(cg.data() + pos, eol - pos);
    pos = eol + 1;
    auto c1 = line.find(':');
    auto c2 = line.find(':', c1 + 1);
    if (c1 == std::string_view::npos || c2 == std::string_view::npos) continue;
    own[std::string(line.substr(c1 + 1, c2 - c1 - 1))] = std::string(line.substr(c2 + 1));
  }
  std::string mi = read_file("/proc/self/mountinfo");
  pos = 0;
  bool v1_seen = false;
  std::vector<std::pair<std::string, std::string>> v2_mounts;
  while (pos < mi.size()) {
    size_t eol = mi.find('\n', pos);
    if (eol == std::string::npos) eol = mi.size();
    std::string line = mi.substr(pos, eol - pos);
    pos = eol + 1;
    // fields: id parent maj:min root mountpoint opts [optional...] - fstype source superopts
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::string head = line.substr(0, dash), tail = line.substr(dash + 3);
    auto t1 = tail.find(' ');
    std::string fstype = tail.substr(0, t1);
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    size_t f = 0;
    std::string fields[5];
    for (int k = 0; k < 5; ++k) {
      auto sp = head.find(' ', f);
      fields[k] = head.substr(f, sp - f);
      f = sp + 1;
    }
    const std::string& root = fields[3];
    const std::string& mnt = fields[4];
    if (mnt.rfind("/sys/fs/cgroup", 0) != 0) continue;
    if (fstype == "cgroup2") {
      if (mnt == "/sys/fs/cgroup") v.pure_v2 = true;
      v2_mounts.emplace_back(mnt, root);
      continue;
    }
    v1_seen = true;
    std::string superopts = tail.substr(tail.rfind(' ') + 1);
    // The hierarchy's key in /proc/self/cgroup is its controller list (or name=...).
    std::string key;
    size_t sp = 0;
    while (sp <= superopts.size()) {
      size_t comma = superopts.find(',', sp);
      if (comma == std::string::npos) comma = superopts.size();
      std::string w = superopts.substr(sp, comma - sp);
      sp = comma + 1;
      if (w == "rw" || w == "ro" || w.rfind("release_agent", 0) == 0 || w == "clone_children" ||
          w == "noprefix" || w == "xattr" || w == "cpuset_v2_mode")
        continue;
      if (!key.empty()) key += ',';
      key += w;
    }
    std::string path = own.count(key) ? own[key] : "/";
    // mountinfo root is the hierarchy path the mount shows; our path is relative to the hierarchy.
    std::string rel = path;
    if (root != "/" && rel.rfind(root, 0) == 0) rel = rel.substr(root.size());
    std::string name = mnt.substr(mnt.rfind('/') + 1);
    v.sources.push_back({name, mnt + (rel == "/" ? "" : rel)});
  }
  if (v.pure_v2 && v1_seen) v.pure_v2 = false;
  if (!v.pure_v2) {
    for (auto& [mnt, root] : v2_mounts) {
      std::string rel = own.count("") ? own[""] : "/";
      if (root != "/" && rel.rfind(root, 0) == 0) rel = rel.substr(root.size());
      v.sources.push_back({mnt.substr(mnt.rfind('/') + 1), mnt + (rel == "/" ? "" : rel)});
    }
  }
  return v;
}

// ---------------------------------------------------------------- child side

int child_prepare_rootfs(const char* rootfs, unsigned long root_propagation) noexcept {
  unsigned long prop = root_propagation ? root_propagation : (MS_SLAVE | MS_REC);
  // Without rslave (or what the spec asks) our mounts would propagate back to the host.
  if (mount(nullptr, "/", nullptr, prop, nullptr) < 0) child_fail(errno, "make / %s", "slave");
  // pivot_root needs the rootfs's parent mount to be private; do it for the mount holding the rootfs
  // (found by walking up until a mount point makes it succeed is runc's way; a private "/" tree is
  // enough when the spec does not ask for shared propagation).
  if (!(prop & MS_SHARED)) {
    // Already slave/private recursively: nothing is shared, pivot_root is satisfied.
  } else if (mount(nullptr, "/", nullptr, MS_PRIVATE, nullptr) < 0) {
    child_fail(errno, "make / private");
  }
  if (mount(rootfs, rootfs, nullptr, MS_BIND | MS_REC, nullptr) < 0)
    child_fail(errno, "bind rootfs %s", rootfs);
  int fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) child_fail(errno, "open rootfs %s", rootfs);
  return fd;
}

// copy_file_range where the kernel allows it; between different filesystems (the rootfs and the
// tmpfs over it) it says EXDEV, and then a plain read/write loop does it.
static int copy_file_data(int in, int out, off_t size) {
  while (size > 0) {
    ssize_t k = copy_file_range(in, nullptr, out, nullptr, static_cast<size_t>(size), 0);
    if (k > 0) {
      size -= k;
      continue;
    }
    if (k == 0) return 0;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) return -1;
    char buf[16384];
    for (;;) {
      ssize_t n = read(in, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return static_cast<int>(n);
      for (ssize_t done = 0; done < n;) {
        ssize_t w = write(out, buf + done, static_cast<size_t>(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        done += w;
      }
    }
  }
  return 0;
}

// Copies the tree under `from` into `to` (both directory fds): directories, regular files, symlinks,
// fifos; mode, owner and times kept. Child side: no exceptions, fixed buffers; returns -1 with errno.
static int copy_tree(int from, int to) {
  int dup_fd = fcntl(from, F_DUPFD_CLOEXEC, 0);
  DIR* d = dup_fd < 0 ? nullptr : fdopendir(dup_fd);
  if (!d) {
    if (dup_fd >= 0) close(dup_fd);
    return -1;
  }
  int rc = 0;
  while (struct dirent* e = readdir(d)) {
    const char* n = e->d_name;
    if (!strcmp(n, ".") || !strcmp(n, "..")) continue;
    struct stat st;
    if (fstatat(from, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      rc = -1;
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      if (mkdirat(to, n, st.st_mode & 07777) < 0 && errno != EEXIST) rc = -1;
      int sf = rc ? -1 : openat(from, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      int df = sf < 0 ? -1 : openat(to, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (df < 0 || copy_tree(sf, df) < 0) rc = -1;
      if (sf >= 0) close(sf);
      if (df >= 0) close(df);
    } else if (S_ISREG(st.st_mode)) {
      int sf = openat(from, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      int df = sf < 0
                   ? -1
                   : openat(to, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777);
      if (df < 0) rc = -1;
      if (rc == 0 && copy_file_data(sf, df, st.st_size) < 0) rc = -1;
      if (sf >= 0) close(sf);
      if (df >= 0) close(df);
    } else if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t k = readlinkat(from, n, target, sizeof target - 1);
      if (k < 0) {
        rc = -1;
      } else {
        target[k] = 0;
        if (symlinkat(target, to, n) < 0) rc = -1;
      }
    } else if (S_ISFIFO(st.st_mode)) {
      if (mkfifoat(to, n, st.st_mode & 07777) < 0) rc = -1;
    } else {
      continue;  // sockets and device nodes are not copied (as crun)
    }
    if (rc) break;
    if (fchownat(to, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL) rc = -1;
    if (!S_ISLNK(st.st_mode) && fchmodat(to, n, st.st_mode & 07777, 0) < 0) rc = -1;
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (rc == 0 && utimensat(to, n, times, AT_SYMLINK_NOFOLLOW) < 0) rc = -1;
    if (rc) break;
  }
  int saved = errno;
  closedir(d);
  errno = saved;
  return rc;
}

// tmpcopyup: the fresh tmpfs gets the directory's contents, mode and owner.
static void tmpfs_copy_up(int root_fd, const char* dest, int under_fd) {
  int top = open_in_root(root_fd, dest, O_RDONLY | O_DIRECTORY);
  struct stat st;
  if (top < 0 || fstat(under_fd, &st) < 0 || copy_tree(under_fd, top) < 0 ||
      fchown(top, st.st_uid, st.st_gid) < 0 || fchmod(top, st.st_mode & 07777) < 0)
    child_fail(errno, "mount %s: tmpcopyup", dest);
  close(top);
}

static void mount_cgroup_v1_tree(int root_fd, const MountPlan& p, const CgroupHostView& cg) {
  int target = mkdir_in_root(root_fd, p.destination.c_str(), 0755);
  if (target < 0) child_fail(errno, "mount %s: create destination", p.destination.c_str());
  char tp[64];
  fd_path(target, tp, sizeof tp);
  unsigned long fl = (p.flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (mount("tmpfs", tp, "tmpfs", fl, "mode=755") < 0)
    child_fail(errno, "mount %s: tmpfs for cgroup hierarchies", p.destination.c_str());
  close(target);
  uint64_t aset = 0, aclr = 0;
  flags_to_attr(p.flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, &aset, &aclr);
  for (const auto& s : cg.sources) {
    std::string dst = p.destination + "/" + s.name;
    int d = mkdir_in_root(root_fd, dst.c_str(), 0755);
    if (d < 0) child_fail(errno, "mount %s: create %s", p.destination.c_str(), dst.c_str());
    if (bind_onto(AT_FDCWD, s.host_path.c_str(), d, true, aset, aclr, 0, 0) < 0)
      child_fail(errno, "mount %s: bind %s", dst.c_str(), s.host_path.c_str());
    close(d);
  }
  if (p.flags & MS_RDONLY) {
    int t = open_in_root(root_fd, p.destination.c_str(), O_PATH | O_DIRECTORY);
    struct mount_attr a = {};
    a.attr_set = MOUNT_ATTR_RDONLY;
    if (t < 0 || mount_setattr(t, "", AT_EMPTY_PATH, &a, sizeof a) < 0)
      child_fail(errno, "mount %s: make read-only", p.destination.c_str());
    close(t);
  }
}

void child_apply_mounts(int root_fd, const std::vector<MountPlan>& plans, const CgroupHostView& cg) noexcept {
  for (const auto& p : plans) {
    const char* dest = p.destination.c_str();
    if (p.type == "cgroup" && !cg.pure_v2) {
      mount_cgroup_v1_tree(root_fd, p, cg);
      continue;
    }
    int target =
        (p.bind && !p.source_is_dir) ? mkfile_in_root(root_fd, dest) : mkdir_in_root(root_fd, dest, 0755);
    if (target < 0) child_fail(errno, "mount %s: create destination", dest);
    if (p.idmapped_tree) {
      if (move_mount(p.idmapped_tree->get(), "", target, "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        child_fail(errno, "mount %s: place the idmapped mount of %s", dest, p.source.c_str());
    } else if (p.bind) {
      uint64_t aset = 0, aclr = 0;
      flags_to_attr(p.flags, p.clear_flags, &aset, &aclr);
      if (bind_onto(AT_FDCWD, p.source.c_str(), target, p.recursive, aset, aclr, p.rec_attr_set,
                    p.rec_attr_clr) < 0)
        child_fail(errno, "mount %s: bind %s", dest, p.source.c_str());
    } else {
      const char* type = p.type == "cgroup" ? "cgroup2" : p.type.c_str();
      char tp[64];
      fd_path(target, tp, sizeof tp);
      // tmpcopyup reads the directory the tmpfs is about to cover: open it before the mount.
      int under = p.tmpcopyup ? openat(target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
      if (p.tmpcopyup && under < 0) child_fail(errno, "mount %s: open for tmpcopyup", dest);
      if (mount(p.source.c_str(), tp, type, p.flags, p.data.empty() ? nullptr : p.data.c_str()) < 0) {
        // In a user namespace that does not own the network (sysfs) or ipc (mqueue) namespace the
        // kernel refuses a fresh instance: bind the host's, with the same flags, as runc does.
        const char* host = p.type == "sysfs" ? "/sys" : p.type == "mqueue" ? "/dev/mqueue" : nullptr;
        if (errno != EPERM || !host) child_fail(errno, "mount %s: mount %s (%s)", dest, type, p.data.c_str());
        uint64_t aset = 0, aclr = 0;
        flags_to_attr(p.flags, p.clear_flags, &aset, &aclr);
        if (bind_onto(AT_FDCWD, host, target, /*recursive=*/true, aset, aclr, aset, aclr) < 0)
          child_fail(errno, "mount %s: %s refused in a user namespace, and binding the host's %s failed",
                     dest, type, host);
      }
      if (under >= 0) {
        tmpfs_copy_up(root_fd, dest, under);
        close(under);
      }
      if (p.rec_attr_set || p.rec_attr_clr) {
        int t = open_in_root(root_fd, dest, O_PATH);
        struct mount_attr a = {};
        a.attr_set = p.rec_attr_set;
        a.attr_clr = p.rec_attr_clr;
        if (t < 0 || mount_setattr(t, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
          child_fail(errno, "mount %s: recursive attributes", dest);
        close(t);
      }
    }
    close(target);
    if (p.propagation) {
      int t = open_in_root(root_fd, dest, O_PATH);
      char tp[64];
      fd_path(t, tp, sizeof tp);
      if (t < 0 || mount(nullptr, tp, nullptr, p.propagation, nullptr) < 0)
        child_fail(errno, "mount %s: set propagation", dest);
      close(t);
    }
  }
}

namespace {
struct DefaultDevice {
  const char* path;
  unsigned major, minor;
};
constexpr DefaultDevice kDefaultDevices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

void make_device(int root_fd, const char* path, mode_t type_mode, unsigned major, unsigned minor, mode_t perm,
                 uid_t uid, gid_t gid, bool in_userns) {
  char parent[4096];
  snprintf(parent, sizeof parent, "%s", path);
  char* slash = strrchr(parent, '/');
  const char* name = slash + 1;
  *slash = 0;
  int pfd = mkdir_in_root(root_fd, *parent ? parent : "/", 0755);
  if (pfd < 0) child_fail(errno, "device %s: create parent", path);
  int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  close(pfd);
  if (dfd < 0) child_fail(errno, "device %s: open parent", path);
  unlinkat(dfd, name, 0);
  if (in_userns && type_mode != S_IFIFO) {
    // mknod is not allowed in a user namespace: bind the host's node, as runc does.
    int f = openat(dfd, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (f < 0) child_fail(errno, "device %s: create bind target", path);
    close(f);
    int t = openat(dfd, name, O_PATH | O_CLOEXEC | O_NOFOLLOW);
    if (bind_onto(AT_FDCWD, path, t, false, 0, 0, 0, 0) < 0)
      child_fail(errno, "device %s: bind host node", path);
    close(t);
  } else {
    if (mknodat(dfd, name, type_mode | perm, makedev(major, minor)) < 0) child_fail(errno, "mknod %s", path);
    // mknod honours the umask; the spec's mode is exact.
    if (fchmodat(dfd, name, perm, 0) < 0) child_fail(errno, "chmod %s", path);
    if (fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) child_fail(errno, "chown %s", path);
  }
  close(dfd);
}
}  // namespace

void child_create_devices(int root_fd, const spec::Spec& s, bool dev_is_mount, bool in_userns) noexcept {
  mode_t old = umask(0);
  if (dev_is_mount) {
    for (const auto& d : kDefaultDevices) {
      bool overridden = false;
      if (s.linux)
        for (const auto& sd : s.linux->devices) overridden |= sd.path == d.path;
      if (!overridden) make_device(root_fd, d.path, S_IFCHR, d.major, d.minor, 0666, 0, 0, in_userns);
    }
  }
  if (s.linux) {
    for (const auto& d : s.linux->devices) {
      mode_t t = d.type == "b" ? S_IFBLK : d.type == "p" ? S_IFIFO : S_IFCHR;
      mode_t perm = d.file_mode ? (*d.file_mode & 07777) : 0666;
      make_device(root_fd, d.path.c_str(), t, static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor),
                  perm, d.uid.value_or(0), d.gid.value_or(0), in_userns);
    }
  }
  umask(old);
  if (!dev_is_mount) return;
  int dev = open_in_root(root_fd, "/dev", O_RDONLY | O_DIRECTORY);
  if (dev < 0) child_fail(errno, "open /dev in rootfs");
  struct Link {
    const char* target;
    const char* name;
  };
  static constexpr Link links[] = {{"/proc/self/fd", "fd"},
                                   {"/proc/self/fd/0", "stdin"},
                                   {"/proc/self/fd/1", "stdout"},
                                   {"/proc/self/fd/2", "stderr"}};
  for (const auto& l : links)
    if (symlinkat(l.target, dev, l.name) < 0 && errno != EEXIST) child_fail(errno, "symlink /dev/%s", l.name);
  // /dev/ptmx must be the container's devpts instance, not a host node.
  struct stat st;
  if (fstatat(dev, "pts", &st, AT_SYMLINK_NOFOLLOW) == 0) {
    unlinkat(dev, "ptmx", 0);
    if (symlinkat("pts/ptmx", dev, "ptmx") < 0) child_fail(errno, "symlink /dev/ptmx");
  }
  if (access("/proc/kcore", F_OK) == 0) symlinkat("/proc/kcore", dev, "core");
  close(dev);
}

void child_pivot_root(const char* rootfs, bool no_pivot) noexcept {
  if (chdir(rootfs) < 0) child_fail(errno, "chdir %s", rootfs);
  if (no_pivot) {
    if (mount(rootfs, "/", nullptr, MS_MOVE, nullptr) < 0) child_fail(errno, "move rootfs to /");
    if (chroot(".") < 0) child_fail(errno, "chroot");
    if (chdir("/") < 0) child_fail(errno, "chdir /");
    return;
  }
  // pivot_root(".", "."): the old root ends up stacked under the new one; detach it right away.
  if (syscall(SYS_pivot_root, ".", ".") < 0) child_fail(errno, "pivot_root %s", rootfs);
  // The old root must not propagate the unmount to the host.
  if (mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) child_fail(errno, "make old root slave");
  if (umount2(".", MNT_DETACH) < 0) child_fail(errno, "detach old root");
  if (chdir("/") < 0) child_fail(errno, "chdir /");
}

void child_mask_paths(const std::vector<std::string>& masked) noexcept {
  if (masked.empty()) return;
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int devnull = -1;
  for (const auto& path : masked) {
    int t = open_in_root(root, path.c_str(), O_PATH | O_NOFOLLOW);
    if (t < 0) {
      if (errno == ENOENT) continue;
      child_fail(errno, "masked path %s", path.c_str());
    }
    struct stat st;
    fstat(t, &st);
    if (S_ISDIR(st.st_mode)) {
      char tp[64];
      fd_path(t, tp, sizeof tp);
      if (mount("tmpfs", tp, "tmpfs", MS_RDONLY, nullptr) < 0) child_fail(errno, "mask %s", path.c_str());
    } else {
      if (devnull < 0) devnull = open("/dev/null", O_PATH | O_CLOEXEC);
      if (bind_onto(devnull, "", t, false, 0, 0, 0, 0) < 0) child_fail(errno, "mask %s", path.c_str());
    }
    close(t);
  }
  if (devnull >= 0) close(devnull);
  close(root);
}

void child_readonly_paths(const std::vector<std::string>& ro) noexcept {
  if (ro.empty()) return;
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (const auto& path : ro) {
    int t = open_in_root(root, path.c_str(), O_PATH | O_NOFOLLOW);
    if (t < 0) {
      if (errno == ENOENT) continue;
      child_fail(errno, "readonly path %s", path.c_str());
    }
    // Bind the path onto itself read-only (recursive, so submounts are covered too).
    if (bind_onto(t, "", t, true, 0, 0,
                  MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0) < 0)
      child_fail(errno, "readonly path %s", path.c_str());
    close(t);
  }
  close(root);
}

void child_readonly_root() noexcept {
  int r = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct mount_attr a = {};
  a.attr_set = MOUNT_ATTR_RDONLY;
  if (r < 0 || mount_setattr(r, "", AT_EMPTY_PATH, &a, sizeof a) < 0)
    child_fail(errno, "make root read-only");
  close(r);
}

void child_bind_console(int slave_fd) noexcept {
  int dev = open("/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dev < 0) return;  // no /dev: nothing to bind onto
  int f = openat(dev, "console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (f < 0) child_fail(errno, "create /dev/console");
  close(f);
  int t = openat(dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (t < 0 || bind_onto(slave_fd, "", t, false, 0, 0, 0, 0) < 0)
    child_fail(errno, "bind the pty onto /dev/console");
  close(t);
  close(dev);
}

void child_root_propagation(unsigned long propagation) noexcept {
  if (!propagation) return;
  if (mount(nullptr, "/", nullptr, propagation, nullptr) < 0) child_fail(errno, "set root propagation");
}

}  // namespace skiff
