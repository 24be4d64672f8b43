#include "store_paths.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "file_util.hpp"
#include "rootless.hpp"

namespace skiff::image {

bool StorePaths::rootless() {
  // uid 0 of a user namespace (a rootless `skiff run` moves into one) may not chown to unmapped ids
  // nor set trusted.* xattrs: it extracts and mounts as an unprivileged user does.
  return ::geteuid() != 0 || skiff::running_in_user_namespace();
}

std::string StorePaths::default_root() {
  if (const char* r = std::getenv("SKIFF_IMAGE_STORE"); r && *r) return r;
  if (::geteuid() == 0) return "/var/lib/skiff";
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::string(x) + "/skiff";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/tmp") + "/.local/share/skiff";
}

void StorePaths::ensure() const {
  mkdir_all(blobs(), 0700);
  mkdir_all(layers(), 0700);
  mkdir_all(containers(), 0711);
  mkdir_all(tmp(), 0700);
  mkdir_all(locks(), 0700);
  struct stat st {};
  std::string layout = root + "/oci-layout";
  if (::stat(layout.c_str(), &st) < 0)
    write_file_atomic(layout, R"({"imageLayoutVersion":"1.0.0"})"
                              "\n");
}

}  // namespace skiff::image
