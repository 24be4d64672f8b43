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

PruneResult prune_store(const StorePaths& paths) {
  paths.ensure();
  auto gc = FileLock::acquire(paths.locks() + "/gc.lock", FileLock::Mode::kExclusive);
  BlobStore blobs(paths);
  LayerStore layers(paths, blobs);
  std::set<std::string> keep_blobs, keep_layers;
  auto keep_manifest = [&](const Digest& md) {
    keep_blobs.insert(std::string(md.hex()));
    if (!blobs.has(md)) return;
    // A damaged or unparsable manifest keeps only itself; its parts are then unreachable.
    Manifest m = parse_manifest(blobs.read(md), "manifest " + md.str());
    keep_blobs.insert(std::string(m.config.digest.hex()));
    for (const auto& l : m.layers) keep_blobs.insert(std::string(l.digest.hex()));
    if (blobs.has(m.config.digest)) {
      auto cfg = parse_image_config(blobs.read(m.config.digest), "config " + m.config.digest.str());
      for (const auto& c : chain_ids(cfg.diff_ids)) keep_layers.insert(std::string(c.hex()));
    }
  };
  for (const auto& r : ReferenceIndex(paths).list()) keep_manifest(r.manifest.digest);
  for (const auto& [id, rec] : list_container_records(paths)) {
    if (!rec.manifest.empty()) keep_manifest(rec.manifest);
    for (const auto& c : rec.chain_ids) keep_layers.insert(std::string(c.hex()));
  }
  PruneResult res;
  for (const auto& hex : entries(paths.blobs())) {
    if (keep_blobs.count(hex) || !Digest::valid("sha256:" + hex)) continue;
    auto d = Digest::from_hex(hex);
    int64_t size = blobs.size(d);
    if (blobs.remove(d)) {
      ++res.blobs;
      res.bytes += size > 0 ? static_cast<uint64_t>(size) : 0;
    }
  }
  for (const auto& hex : entries(paths.layers())) {
    if (keep_layers.count(hex) || !Digest::valid("sha256:" + hex)) continue;
    layers.remove(Digest::from_hex(hex));
    ++res.layers;
  }
  return res;
}

}  // namespace skiff::image
