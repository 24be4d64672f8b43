// Stage 2 of the store: layers/<chainID>/, each layer extracted once and shared by every image that has
// it. Extraction goes into tmp/ and is renamed into place only when complete and verified, under a
// per-chainID lock, so a killed extraction leaves nothing that looks finished and two pulls never
// extract the same layer twice. Layers are extracted independently (each into its own directory,
// overlay stacks them), so several extract at once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "blob_store.hpp"
#include "layer_extract.hpp"
#include "manifest.hpp"

namespace skiff::image {

struct UnpackOptions {
  bool rootless = StorePaths::rootless();
  // Layers extracted at once; 0 = $SKIFF_LAYER_JOBS or the number of CPUs.
  unsigned jobs = 0;
  Inflater inflater = Inflater::kAuto;
  bool pipeline = true;
  // Called after each layer is in place (index in the manifest), for progress displays.
  std::function<void(size_t, const ExtractResult&)> on_layer;
};

class LayerStore {
 public:
  LayerStore(StorePaths paths, BlobStore& blobs) : paths_(std::move(paths)), blobs_(blobs) {}

  bool has(const Digest& chain_id) const;
  // Makes sure every layer of the image is in layers/; returns the chain IDs, bottom layer first.
  // The layer blobs must be in the blob store.
  std::vector<Digest> unpack(const Manifest& manifest, const ImageConfig& config,
                             const UnpackOptions& o = {});
  // Makes sure one layer is in layers/<chain_id>/ (its blob must be in the blob store). Returns true if
  // this call extracted it, false if it was already there. Used by pulls to extract each layer as soon
  // as its blob has arrived.
  bool unpack_layer(const Descriptor& layer, const Digest& diff_id, const Digest& chain_id,
                    const UnpackOptions& o, ExtractResult* result = nullptr);
  // Removes a layer directory (it must not be in use: the caller checks).
  void remove(const Digest& chain_id);

 private:
  void unpack_one(const Descriptor& layer, const Digest& diff_id, const Digest& chain_id,
                  const UnpackOptions& o, ExtractResult& result);
  StorePaths paths_;
  BlobStore& blobs_;
};

}  // namespace skiff::image
