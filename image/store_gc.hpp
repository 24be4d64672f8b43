// Garbage collection of the image store (`skiff image prune`): keeps what index.json's references and
// the containers' image records reach (manifests, configs, layer blobs, layer directories) and removes
// the rest. Pulls hold the store's gc lock shared while they write; prune holds it exclusive, so it
// never removes the blobs of a pull in progress.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "digest.hpp"
#include "file_lock.hpp"
#include "store_paths.hpp"

namespace skiff::image {

struct PruneResult {
  size_t blobs = 0, layers = 0;
  uint64_t bytes = 0;  // blob bytes freed
};

PruneResult prune_store(const StorePaths& paths);

// Held (shared) by anything that adds to the store without a reference yet.
FileLock hold_store_for_writing(const StorePaths& paths);

// What one pull or load added to the store (layer blobs, layer directories), so that a failure can
// take it back: a store exactly as before, not valid-but-unreferenced layers waiting for a prune.
// Thread-safe (layers are fetched in parallel).
class StoreAdditions {
 public:
  explicit StoreAdditions(StorePaths paths) : paths_(std::move(paths)) {}
  void add_blob(const Digest& d);
  void add_layer(const Digest& chain_id);
  // Releases `writing` (the caller's shared gc hold) and, holding the gc lock exclusively as a prune
  // does, removes each addition that no reference or container reaches by then: a concurrent pull that
  // found one of them keeps it, because it names its image before it lets go of its own hold.
  void discard_unreferenced(FileLock& writing);

 private:
  StorePaths paths_;
  std::mutex mu_;
  std::vector<Digest> blobs_, layers_;
};

}  // namespace skiff::image
