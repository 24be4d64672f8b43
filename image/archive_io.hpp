// Images as single files, for edge devices loaded offline: `skiff image load -i FILE` reads an
// oci-archive (a tar of an OCI image layout) or a `docker save` tar (manifest.json, <config>.json,
// uncompressed layer tars; newer Docker writes an OCI layout in the same tar, which wins), optionally
// gzip-compressed; `skiff image save` writes an oci-archive. Archives are unpacked into the store's
// tmp/ (regular files and directories only, paths checked; symlinks only as Docker's duplicate-layer
// links, resolved inside the archive) and loaded from there, then removed.
#pragma once

#include <string>
#include <vector>

#include "layout_import.hpp"
#include "puller.hpp"

namespace skiff::image {

// Loads an oci-archive or docker-save tar: every image in it under every name it has, as `docker
// load` does (a docker save tar's RepoTags; an OCI index's io.containerd.image.name, else its
// org.opencontainers.image.ref.name, a bare tag going under "localhost/<archive name>"). o.layout_ref
// picks the images one name matches; o.name stores the one image selected under another name. Returns
// one Image per stored reference, in the archive's order.
std::vector<Image> load_image_archive(const StorePaths& paths, const std::string& archive,
                                      const LoadOptions& o);

// Writes `image` (its manifest, config and layer blobs, as in the store) to `out` as an oci-archive
// whose index names it `image.ref`. Temp file + rename: a failure leaves no file at `out`.
void save_oci_archive(const StorePaths& paths, const Image& image, const std::string& out);

}  // namespace skiff::image
