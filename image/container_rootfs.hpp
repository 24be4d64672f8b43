// Stage 3 of the store: containers/<id>/ holds a container's bundle — rootfs/ (an overlay of the image's
// layer directories with this container's private upper/ and work/), config.json, and image.json
// (which image and layers it uses, so that prune never removes them). Layers stay read-only and
// shared; a second container of an image costs one mkdir and one mount.
#pragma once

#include <string>
#include <vector>

#include "digest.hpp"
#include "store_paths.hpp"

namespace skiff::image {

struct ContainerBundle {
  std::string id;
  std::string dir;     // the bundle directory (config.json goes here)
  std::string rootfs;  // dir + "/rootfs"
};

struct ContainerImageRecord {
  std::string image_ref;
  Digest manifest;
  std::vector<Digest> chain_ids;
};

// Creates containers/<id>/ and mounts its rootfs. Throws Error (leaving nothing behind) if <id> exists
// or a layer is missing.
ContainerBundle create_container_rootfs(const StorePaths& paths, const std::string& id,
                                        const ContainerImageRecord& image);
// Unmounts and removes containers/<id>/. Missing is fine.
void remove_container_rootfs(const StorePaths& paths, const std::string& id);
// Every container directory's image record (for prune and `skiff ps`).
std::vector<std::pair<std::string, ContainerImageRecord>> list_container_records(const StorePaths& paths);

// Writes a file of a container's bundle: temp file + rename, without fsync. A container does not
// survive a reboot (its overlay mount does not), so durability buys nothing here and an fsync costs
// milliseconds of a container start.
void write_bundle_file(const std::string& path, const std::string& data, unsigned mode = 0600);

// Reads a file of the rootfs by a path inside it, resolving symlinks as the container would
// (openat2 RESOLVE_IN_ROOT): an image's /etc/passwd may be a symlink, and must not lead outside.
// Returns "" if the file does not exist.
std::string read_file_in_root(const std::string& rootfs, const std::string& path_in_root);

}  // namespace skiff::image
