#include "store_gc.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <set>

#include "blob_store.hpp"
#include "container_rootfs.hpp"
#include "error.hpp"
#include "layer_store.hpp"
#include "manifest.hpp"
#include "reference_index.hpp"

namespace skiff::image {

namespace {

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (auto* e = ::readdir(d))
    if (e->d_name[0] != '.') out.push_back(e->d_name);
  ::closedir(d);
  return out;
}

}  // namespace

FileLock hold_store_for_writing(const StorePaths& paths) {
  paths.ensure();
  return FileLock::acquire(paths.locks() + "/gc.lock", FileLock::Mode::kShared);
}

namespace {

struct Reachable {
  std::set<std::string> blobs, layers;  // hex digests
};

// What index.json's references and the containers' image records reach. The caller holds the gc lock
// exclusively: no pull is between storing its parts and naming its image.
Reachable reachable(const StorePaths& paths, const BlobStore& blobs) {
  Reachable keep;
  auto keep_manifest = [&](const Digest& md) {
    keep.blobs.insert(std::string(md.hex()));
    if (!blobs.has(md)) return;
    // A damaged or unparsable manifest keeps only itself; its parts are then unreachable.
    Manifest m = parse_manifest(blobs.read(md), "manifest " + md.str());
    keep.blobs.insert(std::string(m.config.digest.hex()));
    for (const auto& l : m.layers) keep.blobs.insert(std::string(l.digest.hex()));
    if (blobs.has(m.config.digest)) {
      auto cfg = parse_image_config(blobs.read(m.config.digest), "config " + m.config.digest.str());
      for (const auto& c : chain_ids(cfg.diff_ids)) keep.layers.insert(std::string(c.hex()));
    }
  };
  for (const auto& r : ReferenceIndex(paths).list()) keep_manifest(r.manifest.digest);
  for (const auto& [id, rec] : list_container_records(paths)) {
    if (!rec.manifest.empty()) keep_manifest(rec.manifest);
    for (const auto& c : rec.chain_ids) keep.layers.insert(std::string(c.hex()));
  }
  return keep;
}

}  // namespace

PruneResult prune_store(const StorePaths& paths) {
  paths.ensure();
  auto gc = FileLock::acquire(paths.locks() + "/gc.lock", FileLock::Mode::kExclusive);
  BlobStore blobs(paths);
  LayerStore layers(paths, blobs);
  Reachable keep = reachable(paths, blobs);
  PruneResult res;
  for (const auto& hex : entries(paths.blobs())) {
    if (keep.blobs.count(hex) || !Digest::valid("sha256:" + hex)) continue;
    auto d = Digest::from_hex(hex);
    int64_t size = blobs.size(d);
    if (blobs.remove(d)) {
      ++res.blobs;
      res.bytes += size > 0 ? static_cast<uint64_t>(size) : 0;
    }
  }
  for (const auto& hex : entries(paths.layers())) {
    if (keep.layers.count(hex) || !Digest::valid("sha256:" + hex)) continue;
    layers.remove(Digest::from_hex(hex));
    ++res.layers;
  }
  return res;
}

void StoreAdditions::add_blob(const Digest& d) {
  std::lock_guard g(mu_);
  blobs_.push_back(d);
}

void StoreAdditions::add_layer(const Digest& chain_id) {
  std::lock_guard g(mu_);
  layers_.push_back(chain_id);
}

void StoreAdditions::discard_unreferenced(FileLock& writing) {
  std::lock_guard g(mu_);
  if (blobs_.empty() && layers_.empty()) return;
  writing = FileLock();  // our shared hold, or the exclusive lock below would wait for ourselves
  auto gc = FileLock::acquire(paths_.locks() + "/gc.lock", FileLock::Mode::kExclusive);
  BlobStore blobs(paths_);
  LayerStore layers(paths_, blobs);
  Reachable keep = reachable(paths_, blobs);
  for (const auto& c : layers_)
    if (!keep.layers.count(std::string(c.hex())) && layers.has(c)) layers.remove(c);
  for (const auto& d : blobs_)
    if (!keep.blobs.count(std::string(d.hex()))) blobs.remove(d);
  blobs_.clear();
  layers_.clear();
}

}  // namespace skiff::image
