#include "layer_extract.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "error.hpp"
#include "unique_fd.hpp"

namespace skiff::image {
namespace {

// 256 KiB pieces: a piece is inflated, hashed and then parsed and copied out by the other thread while
// it is still in the CPU's L2 cache (1 MiB pieces took ~15% more CPU to load the bench image); 8 in
// flight keep both threads busy.
constexpr size_t kChunk = 256 << 10;
constexpr size_t kPipelineBuffers = 8;
// A waiting side is woken when this many pieces are ready (or free): half the ring.
constexpr size_t kHandoffBatch = kPipelineBuffers / 2;

// The decompressed tar stream, hashed (diffID) as it goes. With `pipeline`, a producer thread inflates
// and hashes into a small ring of buffers while the caller's thread parses and writes.
class TarStream {
 public:
  TarStream(std::unique_ptr<Decompressor> d, bool pipeline) : d_(std::move(d)), pipeline_(pipeline) {
    if (!pipeline_) {
      single_.resize(kChunk);
      return;
    }
    for (size_t i = 0; i < kPipelineBuffers; ++i) free_.push_back(std::make_unique<Buf>());
    producer_ = std::thread([this] { produce(); });
  }
  ~TarStream() {
    if (producer_.joinable()) {
      {
        std::lock_guard g(mu_);
        stop_ = true;
      }
      space_.notify_one();
      producer_.join();
    }
  }

  // Next piece of the stream; 0 at its end.
  size_t next(const void** data) {
    if (!pipeline_) {
      size_t n = fill(single_.data(), single_.size());
      hash_.update(single_.data(), n);
      bytes_ += n;
      *data = single_.data();
      return n;
    }
    std::unique_lock lk(mu_);
    if (current_) {
      free_.push_back(std::move(current_));
      if (producer_waiting_ && free_.size() >= kHandoffBatch) space_.notify_one();
    }
    if (ready_.empty() && !finished_) {
      // Wait for a batch, not for one piece: half the context switches of a wake-up per piece (1.7k
      // instead of 3.8k to load the bench image, `perf stat -e context-switches`).
      consumer_waiting_ = true;
      data_.wait(lk, [&] { return ready_.size() >= kHandoffBatch || finished_; });
      consumer_waiting_ = false;
    }
    if (ready_.empty()) {
      if (error_) std::rethrow_exception(error_);
      return 0;
    }
    current_ = std::move(ready_.front());
    ready_.pop_front();
    *data = current_->data.get();
    return current_->len;
  }

  // Reads what the tar reader left unread (end-of-archive padding) and returns the digest of it all.
  Digest finish(uint64_t* total) {
    const void* p;
    while (next(&p) > 0) {
    }
    *total = bytes_;
    return pipeline_ ? final_digest_ : hash_.finish();
  }

 private:
  struct Buf {
    // Not zero-filled: every byte is written by the inflater before it is read, and zeroing cost a
    // first touch of each page on top of the inflater's.
    std::unique_ptr<char[]> data{new char[kChunk]};
    size_t len = 0;
  };

  size_t fill(char* out, size_t cap) {
    size_t got = 0;
    while (got < cap) {
      size_t n = d_->read(out + got, cap - got);
      if (n == 0) break;
      got += n;
    }
    return got;
  }

  void produce() {
    try {
      for (;;) {
        std::unique_ptr<Buf> b;
        {
          std::unique_lock lk(mu_);
          if (free_.empty() && !stop_) {
            producer_waiting_ = true;
            space_.wait(lk, [&] { return free_.size() >= kHandoffBatch || stop_; });
            producer_waiting_ = false;
          }
          if (stop_) return;
          b = std::move(free_.front());
          free_.pop_front();
        }
        b->len = fill(b->data.get(), kChunk);
        hash_.update(b->data.get(), b->len);
        bytes_ += b->len;
        if (b->len == 0) {
          final_digest_ = hash_.finish();
          std::lock_guard g(mu_);
          finished_ = true;
          data_.notify_one();
          return;
        }
        std::lock_guard g(mu_);
        ready_.push_back(std::move(b));
        if (consumer_waiting_ && ready_.size() >= kHandoffBatch) data_.notify_one();
      }
    } catch (...) {
      std::lock_guard g(mu_);
      error_ = std::current_exception();
      finished_ = true;
      data_.notify_one();
    }
  }

  std::unique_ptr<Decompressor> d_;
  bool pipeline_;
  Sha256 hash_;
  uint64_t bytes_ = 0;
  std::vector<char> single_;

  std::mutex mu_;
  std::condition_variable data_, space_;  // pieces ready for the consumer; free pieces for the producer
  std::deque<std::unique_ptr<Buf>> free_, ready_;
  std::unique_ptr<Buf> current_;
  bool finished_ = false, stop_ = false;
  bool consumer_waiting_ = false, producer_waiting_ = false;
  std::exception_ptr error_;
  Digest final_digest_;
  std::thread producer_;
};

// What libarchive reads: the stream, then zero blocks. Some tools (umoci 0.4's `insert`) end a layer
// right after the last file's data, without the padding to 512 bytes and the end-of-archive blocks; Go's
// tar reader accepts that and libarchive does not. The zeros complete such a tar; they are not part of
// the hashed stream, so the diffID check still catches any layer whose real bytes are short.
struct TarFeed {
  TarStream* stream;
  uint64_t delivered = 0;
  bool padded = false;
  std::vector<char> zeros = std::vector<char>(3 * 512, 0);
};

la_ssize_t read_cb(struct archive*, void* ctx, const void** buf) {
  auto* f = static_cast<TarFeed*>(ctx);
  try {
    size_t n = f->stream->next(buf);
    if (n > 0) {
      f->delivered += n;
      return static_cast<la_ssize_t>(n);
    }
    if (f->padded) return 0;
    f->padded = true;
    *buf = f->zeros.data();
    return static_cast<la_ssize_t>((512 - f->delivered % 512) % 512 + 1024);
  } catch (...) {
    return -1;  // the exception is rethrown by finish()/next() on our side
  }
}

const char* aerr(struct archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unknown error";
}

struct ArchiveReader {
  struct archive* a = archive_read_new();
  ~ArchiveReader() { archive_read_free(a); }
};

int openat2_fd(int dirfd, const std::string& path, int flags, uint64_t resolve) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
}

constexpr uint64_t kInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;

// The process's umask, read without changing it (umask(2) can only set it, and other threads create
// files meanwhile); 022 if the kernel does not show it.
mode_t current_umask() {
  FILE* f = std::fopen("/proc/self/status", "re");
  mode_t m = 022;
  if (!f) return m;
  char line[256];
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "Umask:", 6) == 0) {
      m = static_cast<mode_t>(std::strtoul(line + 6, nullptr, 8));
      break;
    }
  std::fclose(f);
  return m;
}

struct DirMeta {
  std::string path;  // "" is the layer root
  uid_t uid;
  gid_t gid;
  mode_t mode;
  struct timespec times[2];
  std::vector<std::pair<std::string, std::string>> xattrs;
};

class Extractor {
 public:
  Extractor(const std::string& dest, const std::string& what, const ExtractOptions& o, ExtractResult& r)
      : what_(what), opt_(o), res_(r) {
    root_ = UniqueFd(::open(dest.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root_) throw_errno("open " + dest);
  }

  void entry(struct archive* a, struct archive_entry* e) {
    const char* raw = archive_entry_pathname(e);
    if (!raw) fail("entry without a name");
    std::string path = clean(raw);
    ++res_.entries;
    std::string parent, base;
    split(path, parent, base);

    // Whiteouts (image-spec "Whiteouts"): ".wh..wh..opq" makes the directory opaque, ".wh.NAME" hides NAME.
    if (base.rfind(".wh.", 0) == 0) {
      if (base == ".wh..wh..opq") {
        UniqueFd dir(openat2_fd(dir_fd(parent, true), ".", O_RDONLY | O_DIRECTORY, kInRoot));
        if (!dir) sys_fail("open opaque dir", path);
        set_xattr_fd(dir.get(), overlay_prefix() + "opaque", "y", path);
        return;
      }
      std::string name = base.substr(4);
      if (name.empty() || name == "." || name == "..") fail("bad whiteout \"" + path + "\"");
      int pfd = dir_fd(parent, true);
      remove_existing(pfd, name, parent);
      if (::mknodat(pfd, name.c_str(), S_IFCHR | 0, ::makedev(0, 0)) < 0) sys_fail("create whiteout", path);
      return;
    }

    if (const char* link = archive_entry_hardlink(e)) {
      hardlink(clean(link), parent, base, path);
      return;
    }

    mode_t type = archive_entry_filetype(e);
    mode_t perm = archive_entry_perm(e) & 07777;
    uid_t uid = static_cast<uid_t>(archive_entry_uid(e));
    gid_t gid = static_cast<gid_t>(archive_entry_gid(e));
    struct timespec ts[2];
    ts[1] = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
    ts[0] =
        archive_entry_atime_is_set(e) ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)} : ts[1];
    auto xattrs = read_xattrs(e, path);

    if (path.empty()) {  // "./": the layer root's own metadata
      if (type != AE_IFDIR) fail("root entry is not a directory");
      dirs_.push_back({"", uid, gid, perm, {ts[0], ts[1]}, std::move(xattrs)});
      return;
    }
    int pfd = dir_fd(parent, true);
    switch (type) {
      case AE_IFDIR: {
        if (::mkdirat(pfd, base.c_str(), 0700) < 0) {
          struct stat st {};
          if (errno != EEXIST) sys_fail("mkdir", path);
          if (::fstatat(pfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) sys_fail("stat", path);
          if (!S_ISDIR(st.st_mode)) {
            remove_existing(pfd, base, parent);
            if (::mkdirat(pfd, base.c_str(), 0700) < 0) sys_fail("mkdir", path);
          }
        }
        dirs_.push_back({path, uid, gid, perm, {ts[0], ts[1]}, std::move(xattrs)});
        invalidate(path);
        break;
      }
      case AE_IFREG: {
        // Created with its permission bits (less the umask) and owned by us: the chown and chmod that
        // follow are skipped when they would change nothing (most files of most layers, as root).
        constexpr int kCreate = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
        UniqueFd f(::openat(pfd, base.c_str(), kCreate, perm & 0777));
        if (!f && errno == EEXIST) {
          remove_existing(pfd, base, parent);
          f = UniqueFd(::openat(pfd, base.c_str(), kCreate, perm & 0777));
        }
        if (!f) sys_fail("create", path);
        write_data(a, f.get(), archive_entry_size(e), path);
        bool chowned = !opt_.rootless && (uid != euid_ || gid != egid_);
        if (chowned && ::fchown(f.get(), uid, gid) < 0) sys_fail("chown", path);
        // chown clears set-id bits, and the umask may have taken some: then chmod.
        if ((chowned || (perm & 07000) || (perm & umask_)) && ::fchmod(f.get(), perm) < 0)
          sys_fail("chmod", path);
        for (auto& [k, v] : xattrs) set_xattr_fd(f.get(), k, v, path);
        if (::futimens(f.get(), ts) < 0) sys_fail("set times of", path);
        break;
      }
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(e);
        if (!target) fail("symlink \"" + path + "\" without a target");
        // The target is stored as written: it is never followed here (parents are resolved in root).
        if (::symlinkat(target, pfd, base.c_str()) < 0) {
          if (errno != EEXIST) sys_fail("symlink", path);
          remove_existing(pfd, base, parent);
          if (::symlinkat(target, pfd, base.c_str()) < 0) sys_fail("symlink", path);
        }
        finish_node(pfd, base, path, uid, gid, std::nullopt, ts, xattrs);
        invalidate(path);
        break;
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO: {
        if (type != AE_IFIFO && opt_.rootless) {
          res_.notes.push_back("skipped device node /" + path + " (rootless)");
          break;
        }
        remove_existing(pfd, base, parent);
        dev_t dev = ::makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
        if (::mknodat(pfd, base.c_str(), type | perm, type == AE_IFIFO ? 0 : dev) < 0)
          sys_fail("mknod", path);
        finish_node(pfd, base, path, uid, gid, perm, ts, xattrs);
        break;
      }
      default:
        res_.notes.push_back("skipped /" + path + " (unsupported file type)");
        break;
    }
  }

  // Directory metadata last and deepest first: creating children changes a directory's mtime, and a
  // read-only directory must still accept its children while we write them.
  void finish_dirs() {
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      UniqueFd d(openat2_fd(root_.get(), it->path.empty() ? "." : it->path,
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW, kInRoot));
      if (!d) {
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) continue;  // replaced later in the tar
        sys_fail("open", it->path);
      }
      if (!opt_.rootless && ::fchown(d.get(), it->uid, it->gid) < 0) sys_fail("chown", it->path);
      if (::fchmod(d.get(), it->mode) < 0) sys_fail("chmod", it->path);
      for (auto& [k, v] : it->xattrs) set_xattr_fd(d.get(), k, v, it->path);
      if (::futimens(d.get(), it->times) < 0) sys_fail("set times of", it->path);
    }
  }

 private:
  [[noreturn]] void fail(const std::string& why) { throw Error(what_ + ": " + why); }
  [[noreturn]] void sys_fail(const std::string& op, const std::string& path) {
    throw Error(errno, what_ + ": " + op + " /" + path);
  }

  // Layer paths are relative to the layer root. Leading "/" and "./" are dropped (tars made with
  // absolute paths mean the image root); a ".." component is an attack or a broken tool: rejected.
  std::string clean(const char* raw) {
    std::string out;
    std::string_view p(raw);
    size_t i = 0;
    while (i <= p.size()) {
      size_t j = p.find('/', i);
      if (j == std::string_view::npos) j = p.size();
      std::string_view c = p.substr(i, j - i);
      if (c == "..") fail("hostile layer: entry \"" + std::string(p) + "\" has a \"..\" component");
      if (!c.empty() && c != ".") {
        if (!out.empty()) out += '/';
        out.append(c);
      }
      i = j + 1;
    }
    return out;
  }

  static void split(const std::string& path, std::string& parent, std::string& base) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) {
      parent.clear();
      base = path;
    } else {
      parent = path.substr(0, slash);
      base = path.substr(slash + 1);
    }
  }

  // An O_PATH fd of directory `rel`, resolved inside the layer (a symlink in the layer that points at
  // "/" or "../.." stays inside it). Missing parents are created, like tar does.
  int dir_fd(const std::string& rel, bool create) {
    if (rel.empty()) return root_.get();
    if (cached_fd_ && cached_path_ == rel) return cached_fd_.get();
    UniqueFd fd(openat2_fd(root_.get(), rel, O_PATH | O_DIRECTORY, kInRoot));
    if (!fd && errno == ENOENT && create) {
      std::string parent, base;
      split(rel, parent, base);
      int pfd = dir_fd(parent, true);
      if (::mkdirat(pfd, base.c_str(), 0755) < 0 && errno != EEXIST) sys_fail("mkdir", rel);
      fd = UniqueFd(openat2_fd(root_.get(), rel, O_PATH | O_DIRECTORY, kInRoot));
    }
    if (!fd) sys_fail("open directory", rel);
    cached_fd_ = std::move(fd);
    cached_path_ = rel;
    return cached_fd_.get();
  }

  void invalidate(const std::string& path) {
    if (cached_fd_ && (cached_path_ == path || cached_path_.rfind(path + "/", 0) == 0)) {
      cached_fd_.reset();
      cached_path_.clear();
    }
  }

  // A later entry for the same path replaces the earlier one (tar semantics).
  void remove_existing(int pfd, const std::string& name, const std::string& parent) {
    if (::unlinkat(pfd, name.c_str(), 0) == 0 || errno == ENOENT) return;
    if (errno == EISDIR || errno == EPERM) {
      std::string full = parent.empty() ? name : parent + "/" + name;
      invalidate(full);
      remove_tree(pfd, name, full);
      return;
    }
    sys_fail("replace", parent.empty() ? name : parent + "/" + name);
  }

  void remove_tree(int pfd, const std::string& name, const std::string& full) {
    int dfd = ::openat(pfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) sys_fail("open", full);
    DIR* d = ::fdopendir(dfd);
    if (!d) {
      ::close(dfd);
      sys_fail("read", full);
    }
    std::vector<std::string> names;
    while (auto* de = ::readdir(d))
      if (std::strcmp(de->d_name, ".") && std::strcmp(de->d_name, "..")) names.push_back(de->d_name);
    for (auto& n : names)
      if (::unlinkat(dirfd(d), n.c_str(), 0) < 0) {
        if (errno != EISDIR && errno != EPERM) {
          ::closedir(d);
          sys_fail("remove", full + "/" + n);
        }
        remove_tree(dirfd(d), n, full + "/" + n);
      }
    ::closedir(d);
    if (::unlinkat(pfd, name.c_str(), AT_REMOVEDIR) < 0) sys_fail("remove", full);
  }

  void write_data(struct archive* a, int fd, int64_t size, const std::string& path) {
    const void* buf;
    size_t len;
    la_int64_t off;
    int64_t pos = 0;
    for (;;) {
      int rc = archive_read_data_block(a, &buf, &len, &off);
      if (rc == ARCHIVE_EOF) break;
      if (rc != ARCHIVE_OK) fail("reading /" + path + ": " + aerr(a));
      if (off != pos && ::lseek(fd, off, SEEK_SET) < 0) sys_fail("seek", path);  // sparse file hole
      pos = off;
      const char* p = static_cast<const char*>(buf);
      while (len) {
        ssize_t w = ::write(fd, p, len);
        if (w < 0) {
          if (errno == EINTR) continue;
          sys_fail("write", path);
        }
        p += w;
        len -= static_cast<size_t>(w);
        pos += w;
      }
    }
    if (pos != size && ::ftruncate(fd, size) < 0) sys_fail("truncate", path);
  }

  void hardlink(const std::string& target, const std::string& parent, const std::string& base,
                const std::string& path) {
    if (target.empty()) fail("hard link \"" + path + "\" to the layer root");
    std::string tparent, tbase;
    split(target, tparent, tbase);
    // The target must be a file this layer already holds: resolved inside the layer, its last
    // component not followed, and never a directory.
    UniqueFd tdir(openat2_fd(root_.get(), tparent.empty() ? "." : tparent, O_PATH | O_DIRECTORY, kInRoot));
    struct stat st {};
    if (!tdir || ::fstatat(tdir.get(), tbase.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
      fail("hostile layer: hard link /" + path + " -> /" + target + " names no file of this layer");
    if (S_ISDIR(st.st_mode)) fail("hostile layer: hard link /" + path + " -> a directory");
    int pfd = dir_fd(parent, true);
    if (target == path) return;
    remove_existing(pfd, base, parent);
    if (::linkat(tdir.get(), tbase.c_str(), pfd, base.c_str(), 0) < 0) sys_fail("hard link", path);
  }

  void finish_node(int pfd, const std::string& base, const std::string& path, uid_t uid, gid_t gid,
                   std::optional<mode_t> perm, const struct timespec* ts,
                   const std::vector<std::pair<std::string, std::string>>& xattrs) {
    bool chowned = !opt_.rootless && (uid != euid_ || gid != egid_);  // ours already otherwise
    if (chowned && ::fchownat(pfd, base.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) < 0) sys_fail("chown", path);
    if (perm && ::fchmodat(pfd, base.c_str(), *perm, 0) < 0) sys_fail("chmod", path);
    if (!xattrs.empty()) {
      // No fd-based lsetxattr: go through our directory fd's magic link; the last component is not followed.
      std::string p = "/proc/self/fd/" + std::to_string(pfd) + "/" + base;
      for (auto& [k, v] : xattrs)
        if (::lsetxattr(p.c_str(), k.c_str(), v.data(), v.size(), 0) < 0) xattr_failed(k, path);
    }
    if (::utimensat(pfd, base.c_str(), ts, AT_SYMLINK_NOFOLLOW) < 0) sys_fail("set times of", path);
  }

  std::vector<std::pair<std::string, std::string>> read_xattrs(struct archive_entry* e,
                                                               const std::string& path) {
    std::vector<std::pair<std::string, std::string>> out;
    if (archive_entry_xattr_reset(e) == 0) return out;
    const char* name;
    const void* value;
    size_t size;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      std::string n = name;
      // Overlay's own xattrs in a layer would forge whiteouts, redirects or metacopy: never applied.
      if (n.rfind("trusted.overlay.", 0) == 0 || n.rfind("user.overlay.", 0) == 0) {
        res_.notes.push_back("dropped xattr " + n + " of /" + path);
        continue;
      }
      if (opt_.rootless && n.rfind("user.", 0) != 0) {
        res_.notes.push_back("skipped xattr " + n + " of /" + path + " (rootless)");
        continue;
      }
      out.emplace_back(n, std::string(static_cast<const char*>(value), size));
    }
    return out;
  }

  void set_xattr_fd(int fd, const std::string& k, const std::string& v, const std::string& path) {
    if (::fsetxattr(fd, k.c_str(), v.data(), v.size(), 0) < 0) xattr_failed(k, path);
  }

  void xattr_failed(const std::string& k, const std::string& path) {
    if (errno == ENOTSUP && k.rfind("trusted.overlay.", 0) != 0 && k.rfind("user.overlay.", 0) != 0) {
      res_.notes.push_back("xattr " + k + " of /" + path + " not supported by the file system");
      return;
    }
    sys_fail("set xattr " + k + " on", path);
  }

  std::string overlay_prefix() const { return opt_.rootless ? "user.overlay." : "trusted.overlay."; }

  std::string what_;
  const ExtractOptions& opt_;
  // What a file we create starts with: our ids (no parent directory has set-gid while we extract: their
  // modes are applied at the end) and its mode less the umask.
  const uid_t euid_ = ::geteuid();
  const gid_t egid_ = ::getegid();
  const mode_t umask_ = current_umask();
  ExtractResult& res_;
  UniqueFd root_;
  UniqueFd cached_fd_;
  std::string cached_path_;
  std::vector<DirMeta> dirs_;
};

}  // namespace

ExtractResult extract_layer(int blob_fd, const std::string& dest, const std::string& what,
                            const ExtractOptions& options) {
  ExtractResult res;
  TarStream stream(open_decompressor(blob_fd, what, options.inflater), options.pipeline);
  {
    ArchiveReader r;
    archive_read_support_format_tar(r.a);
    archive_read_support_format_gnutar(r.a);
    TarFeed feed{&stream};
    if (archive_read_open(r.a, &feed, nullptr, read_cb, nullptr) != ARCHIVE_OK) {
      uint64_t ignored;
      stream.finish(&ignored);  // a decompression error is the better message
      throw Error(what + ": not a tar stream: " + aerr(r.a));
    }
    Extractor x(dest, what, options, res);
    struct archive_entry* e;
    for (;;) {
      int rc = archive_read_next_header(r.a, &e);
      if (rc == ARCHIVE_EOF) break;
      if (rc == ARCHIVE_WARN) {
        // Unknown pax keywords and the like: the entry itself is usable.
      } else if (rc != ARCHIVE_OK) {
        uint64_t ignored;
        stream.finish(&ignored);  // a decompression error is the better message
        throw Error(what + ": corrupt tar: " + aerr(r.a));
      }
      x.entry(r.a, e);
    }
    x.finish_dirs();
  }
  res.diff_id = stream.finish(&res.tar_bytes);
  if (options.expected_diff_id && res.diff_id != *options.expected_diff_id)
    throw Error(what + ": diffID mismatch: the image config says " + options.expected_diff_id->str() +
                ", the layer's tar hashes to " + res.diff_id.str());
  return res;
}

}  // namespace skiff::image
