// Where the image store keeps things (DESIGN.md, "On-disk state"). The store root is itself a valid OCI
// image layout (oci-layout, index.json, blobs/sha256), so OCI tools can read it.
#pragma once

#include <string>

#include "digest.hpp"

namespace skiff::image {

struct StorePaths {
  std::string root;

  // /var/lib/skiff as root; $XDG_DATA_HOME/skiff (~/.local/share/skiff) otherwise. $SKIFF_IMAGE_STORE wins.
  static std::string default_root();
  // Not the host's root: not uid 0, or uid 0 of a user namespace. Layers are then extracted without
  // chown, whiteouts use user.overlay.* xattrs and overlays are mounted with userxattr.
  static bool rootless();

  std::string blobs() const { return root + "/blobs/sha256"; }
  std::string blob(const Digest& d) const { return blobs() + "/" + std::string(d.hex()); }
  std::string layers() const { return root + "/layers"; }
  std::string layer(const Digest& chain_id) const { return layers() + "/" + std::string(chain_id.hex()); }
  std::string containers() const { return root + "/containers"; }
  std::string container(const std::string& id) const { return containers() + "/" + id; }
  // Temp files and partial downloads: on the same file system as blobs/ and layers/, so the final
  // rename is atomic.
  std::string tmp() const { return root + "/tmp"; }
  std::string locks() const { return root + "/locks"; }
  std::string index_json() const { return root + "/index.json"; }

  // Creates the directories and the oci-layout file if missing.
  void ensure() const;
};

}  // namespace skiff::image
