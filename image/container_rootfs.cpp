#include "container_rootfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "file_util.hpp"
#include "manifest.hpp"
#include "unique_fd.hpp"

namespace skiff::image {

namespace {

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void mount_overlay(const StorePaths& paths, const ContainerBundle& b, const std::vector<Digest>& chain_ids) {
  // overlay lists lower dirs top first; the image lists layers bottom first.
  std::string lower;
  for (auto it = chain_ids.rbegin(); it != chain_ids.rend(); ++it) {
    if (!lower.empty()) lower += ":";
    lower += paths.layer(*it);
  }
  if (lower.empty()) lower = b.dir + "/empty";  // an image without layers: overlay needs a lower dir
  std::string opts = "lowerdir=" + lower + ",upperdir=" + b.dir + "/upper,workdir=" + b.dir + "/work";
  if (StorePaths::rootless()) opts += ",userxattr";
  if (opts.size() >= 4096)
    throw Error("container " + b.id + ": " + std::to_string(chain_ids.size()) +
                " layers make overlay options longer than a page");
  if (::mount("overlay", b.rootfs.c_str(), "overlay", 0, opts.c_str()) < 0)
    throw Error(errno, "container " + b.id + ": mount overlay on " + b.rootfs);
}

}  // namespace

ContainerBundle create_container_rootfs(const StorePaths& paths, const std::string& id,
                                        const ContainerImageRecord& image) {
  if (id.empty() || id.find('/') != std::string::npos || id == "." || id == "..")
    throw Error("invalid container id \"" + id + "\"");
  paths.ensure();
  for (const auto& c : image.chain_ids)
    if (!is_dir(paths.layer(c)))
      throw Error("container " + id + ": layer " + c.str() + " is not in the store");
  ContainerBundle b{id, paths.container(id), paths.container(id) + "/rootfs"};
  if (::mkdir(b.dir.c_str(), 0700) < 0) {
    if (errno == EEXIST) throw Error("container " + id + " already exists (" + b.dir + ")");
    throw Error(errno, "create " + b.dir);
  }
  try {
    for (const char* sub : {"upper", "work", "rootfs"})
      if (::mkdir((b.dir + "/" + sub).c_str(), 0755) < 0) throw Error(errno, "create " + b.dir + "/" + sub);
    if (image.chain_ids.empty() && ::mkdir((b.dir + "/empty").c_str(), 0755) < 0)
      throw Error(errno, "create " + b.dir + "/empty");
    nlohmann::json rec{{"image", image.image_ref}, {"manifest", image.manifest.str()}};
    rec["layers"] = nlohmann::json::array();
    for (const auto& c : image.chain_ids) rec["layers"].push_back(c.str());
    // Written before the mount: prune must see the layers as used from the moment they are.
    write_bundle_file(b.dir + "/image.json", rec.dump() + "\n");
    mount_overlay(paths, b, image.chain_ids);
  } catch (...) {
    remove_all(b.dir);
    throw;
  }
  return b;
}

void remove_container_rootfs(const StorePaths& paths, const std::string& id) {
  std::string dir = paths.container(id);
  if (!is_dir(dir)) return;
  std::string rootfs = dir + "/rootfs";
  if (::umount2(rootfs.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    throw Error(errno, "unmount " + rootfs);
  // image.json goes last, so that an interrupted removal still protects the layers.
  for (const char* sub : {"rootfs", "upper", "work", "empty", "config.json"}) remove_all(dir + "/" + sub);
  remove_all(dir);
}

std::vector<std::pair<std::string, ContainerImageRecord>> list_container_records(const StorePaths& paths) {
  std::vector<std::pair<std::string, ContainerImageRecord>> out;
  DIR* d = ::opendir(paths.containers().c_str());
  if (!d) return out;
  std::vector<std::string> ids;
  while (auto* e = ::readdir(d))
    if (e->d_name[0] != '.') ids.push_back(e->d_name);
  ::closedir(d);
  for (const auto& id : ids) {
    ContainerImageRecord r;
    try {
      auto j = parse_json(read_file(paths.container(id) + "/image.json"), "container " + id);
      r.image_ref = j.value("image", "");
      if (j.contains("manifest")) r.manifest = Digest::parse(j["manifest"].get<std::string>());
      for (const auto& l : j.value("layers", nlohmann::json::array()))
        r.chain_ids.push_back(Digest::parse(l.get<std::string>()));
    } catch (const std::exception&) {
      // A container directory without a readable record: listed with no layers (prune keeps
      // everything whose use it cannot rule out only for recorded ones; see image prune).
    }
    out.emplace_back(id, std::move(r));
  }
  return out;
}

void write_bundle_file(const std::string& path, const std::string& data, unsigned mode) {
  std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd) throw Error(errno, "create " + tmp);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      throw Error(e, "write " + tmp);
    }
    off += static_cast<size_t>(n);
  }
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw Error(e, "rename " + tmp);
  }
}

std::string read_file_in_root(const std::string& rootfs, const std::string& path_in_root) {
  UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw Error(errno, "open " + rootfs);
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string rel = path_in_root;
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
  int fd = static_cast<int>(::syscall(SYS_openat2, root.get(), rel.c_str(), &how, sizeof how));
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return {};
    throw Error(errno, "open " + path_in_root + " in " + rootfs);
  }
  UniqueFd f(fd);
  std::string data;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(f.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(errno, "read " + path_in_root + " in " + rootfs);
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > (16u << 20)) throw Error(path_in_root + " in " + rootfs + " is larger than 16 MiB");
  }
  return data;
}

}  // namespace skiff::image
