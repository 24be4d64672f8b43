// Garbage collection of the image store (`skiff image prune`): keeps what index.json's references and
// the containers' image records reach (manifests, configs, layer blobs, layer directories) and removes
// the rest. Pulls hold the store's gc lock shared while they write; prune holds it exclusive, so it
// never removes the blobs of a pull in progress.
#pragma once

#include <cstdint>
#include <string>

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

}  // namespace skiff::image
