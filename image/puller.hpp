// Pulling an image into the store: resolve the reference (index -> the platform's manifest), fetch the
// config, then each layer's blob and, as soon as it is verified, its extraction into layers/ — several
// layers at once, so downloads and extraction overlap. The reference is written to index.json last,
// only when everything it points to is in place.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "layer_store.hpp"
#include "manifest.hpp"
#include "progress.hpp"
#include "reference.hpp"
#include "registry_client.hpp"
#include "store_paths.hpp"

namespace skiff::image {

// A resolved image in the store.
struct Image {
  std::string ref;           // canonical reference it was found under
  Descriptor manifest_desc;  // the platform manifest
  Manifest manifest;
  ImageConfig config;
  std::vector<Digest> chain_ids;  // bottom layer first
};

struct PullOptions {
  Platform platform = Platform::host();
  RegistryOptions registry = default_registry_options();
  unsigned jobs = 3;  // layers downloaded (and extracted) at once
  UnpackOptions unpack;
  PullProgress* progress = nullptr;
};

struct PullStats {
  size_t layers_downloaded = 0, layers_extracted = 0;
  int64_t bytes_downloaded = 0;
};

Image pull_image(const StorePaths& paths, const Reference& ref, const PullOptions& o,
                 PullStats* stats = nullptr);

// The image `ref` names in the store (no network): a reference in index.json, or a manifest digest
// ("sha256:..." or a unique prefix of its hex). nullopt if there is none.
std::optional<Image> find_local_image(const StorePaths& paths, const std::string& ref);
// Reads the manifest and config of an image whose manifest is in the blob store.
Image load_image(const StorePaths& paths, const std::string& ref, const Descriptor& manifest_desc);

}  // namespace skiff::image
