// Builds layer tars for tests with libarchive's writer, so a test can say exactly which (possibly
// hostile) entries a layer holds.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace skiff::image::test {

struct TarEntry {
  enum Type { kFile, kDir, kSymlink, kHardlink, kChar, kFifo } type = kFile;
  std::string path;
  std::string content;  // file data
  std::string link;     // symlink target or hard link target
  unsigned mode = 0644;
  unsigned uid = 0, gid = 0;
  long mtime = 1000000000;
  unsigned rdev_major = 0, rdev_minor = 0;
  std::map<std::string, std::string> xattrs;
};

inline TarEntry tar_file(std::string p, std::string c, unsigned mode = 0644) {
  TarEntry e;
  e.path = std::move(p);
  e.content = std::move(c);
  e.mode = mode;
  return e;
}
inline TarEntry tar_dir(std::string p, unsigned mode = 0755) {
  TarEntry e;
  e.type = TarEntry::kDir;
  e.path = std::move(p);
  e.mode = mode;
  return e;
}
inline TarEntry tar_symlink(std::string p, std::string target) {
  TarEntry e;
  e.type = TarEntry::kSymlink;
  e.path = std::move(p);
  e.link = std::move(target);
  e.mode = 0777;
  return e;
}
inline TarEntry tar_hardlink(std::string p, std::string target) {
  TarEntry e;
  e.type = TarEntry::kHardlink;
  e.path = std::move(p);
  e.link = std::move(target);
  return e;
}

// compression: "none", "gzip" or "zstd". Returns the blob bytes.
std::string make_tar(const std::vector<TarEntry>& entries, const std::string& compression = "gzip");
// The uncompressed tar of the same entries (for diffIDs).
inline std::string make_plain_tar(const std::vector<TarEntry>& entries) {
  return make_tar(entries, "none");
}

}  // namespace skiff::image::test
