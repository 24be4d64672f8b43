// Offline import: an OCI image layout directory (oci-layout, index.json, blobs/) into the store, as
// edge devices are often loaded. Every blob is verified on the way in; layers are extracted once, in
// parallel; the reference goes into index.json last.
#pragma once

#include <string>

#include "layer_store.hpp"
#include "manifest.hpp"
#include "puller.hpp"

namespace skiff::image {

struct LoadOptions {
  // Which image of the layout: its "org.opencontainers.image.ref.name" (a tag or a full reference);
  // "" = the only one.
  std::string layout_ref;
  // The reference to store it under; "" = the layout's ref name if it is a full reference, else
  // "localhost/<directory name>:<tag>".
  std::string name;
  Platform platform = Platform::host();
  UnpackOptions unpack;
};

Image load_oci_layout(const StorePaths& paths, const std::string& layout_dir, const LoadOptions& o);

}  // namespace skiff::image
