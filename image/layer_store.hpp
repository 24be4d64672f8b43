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
  // Without `fetch` the layer blobs must be in the blob store; with it, a missing blob i is written by
  // fetch(i, ingest) while it is extracted (fetch_and_unpack).
  std::vector<Digest> unpack(const Manifest& manifest, const ImageConfig& config, const UnpackOptions& o = {},
                             const std::function<void(size_t, BlobIngest&)>& fetch = {});
  // Makes sure one layer is in layers/<chain_id>/ (its blob must be in the blob store). Returns true if
  // this call extracted it, false if it was already there. Used by pulls to extract each layer as soon
  // as its blob has arrived.
  bool unpack_layer(const Descriptor& layer, const Digest& diff_id, const Digest& chain_id,
                    const UnpackOptions& o, ExtractResult* result = nullptr);
  // Fetches a layer's blob and extracts it in the same pass: `fetch` writes the blob into the ingest it
  // is given and commits it (as RegistryClient::fetch_blob does); the bytes also stream through a
  // socket into the extraction on another thread, so the download, the inflate and the file writes
  // overlap. The layer appears only after the blob verified. If the blob is already stored, only the
  // extraction runs; a transfer that starts over midway is extracted again from the stored blob.
  // Returns true if this call extracted the layer.
  bool fetch_and_unpack(const Descriptor& layer, const Digest& diff_id, const Digest& chain_id,
                        const UnpackOptions& o, const std::function<void(BlobIngest&)>& fetch,
                        ExtractResult* result = nullptr);
  // Removes a layer directory (it must not be in use: the caller checks).
  void remove(const Digest& chain_id);

 private:
  // Extracts one layer from its stored blob; false if another pull extracted it meanwhile.
  bool unpack_one(const Descriptor& layer, const Digest& diff_id, const Digest& chain_id,
                  const UnpackOptions& o, ExtractResult& result);
  // Runs `extract` holding the layer's lock, after removing what a killed extraction left; false (and
  // `extract` not run) when the layer is already there.
  bool locked_extraction(const Digest& chain_id, const std::function<void()>& extract);
  // The steps of an extraction; the caller holds the layer's lock.
  void remove_stale_extractions(const std::string& hex);
  std::string make_extraction_dir(const std::string& hex);
  void extract_from_blob(const Descriptor& layer, const Digest& diff_id, const Digest& chain_id,
                         const UnpackOptions& o, ExtractResult& result);
  void publish(const std::string& tmp, const Digest& chain_id);
  StorePaths paths_;
  BlobStore& blobs_;
};

}  // namespace skiff::image
