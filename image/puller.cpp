#include "puller.hpp"

#include <sys/stat.h>

#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "blob_store.hpp"
#include "error.hpp"
#include "file_lock.hpp"
#include "parallel.hpp"
#include "reference_index.hpp"
#include "store_gc.hpp"

namespace skiff::image {

namespace {

// Lock files left by a pull killed while holding them (flock dies with the process, the file does not).
// One nobody holds is stale: taking it and removing it leaves the store as a finished pull would.
void sweep_stale_locks(const std::vector<std::string>& lock_files) {
  for (const auto& f : lock_files) {
    struct stat st {};
    if (::stat(f.c_str(), &st) < 0) continue;
    if (auto l = FileLock::try_acquire(f)) l.release_and_remove();
  }
}

}  // namespace

Image load_image(const StorePaths& paths, const std::string& ref, const Descriptor& manifest_desc) {
  BlobStore blobs(paths);
  Image img;
  img.ref = ref;
  img.manifest_desc = manifest_desc;
  std::string where = "manifest " + manifest_desc.digest.str();
  img.manifest = parse_manifest(blobs.read(manifest_desc.digest), where);
  img.config = parse_image_config(blobs.read(img.manifest.config.digest),
                                  "config " + img.manifest.config.digest.str());
  if (img.config.diff_ids.size() != img.manifest.layers.size())
    throw Error(where + " has " + std::to_string(img.manifest.layers.size()) +
                " layers but its config lists " + std::to_string(img.config.diff_ids.size()) + " diffIDs");
  img.chain_ids = chain_ids(img.config.diff_ids);
  return img;
}

std::optional<Image> find_local_image(const StorePaths& paths, const std::string& text) {
  ReferenceIndex index(paths);
  auto records = index.list();
  std::string hexpart = text.rfind("sha256:", 0) == 0 ? text.substr(7) : text;
  bool hexlike = hexpart.size() >= 6 && hexpart.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (hexlike) {
    const ImageRecord* found = nullptr;
    for (const auto& r : records)
      if (std::string(r.manifest.digest.hex()).rfind(hexpart, 0) == 0) {
        if (found && found->manifest.digest != r.manifest.digest)
          throw Error("image id \"" + text + "\" is ambiguous");
        found = &r;
      }
    if (found) return load_image(paths, found->ref, found->manifest);
  }
  Reference ref = Reference::parse(text);
  if (auto r = index.find(ref.str())) return load_image(paths, r->ref, r->manifest);
  return std::nullopt;
}

Image pull_image(const StorePaths& paths, const Reference& ref, const PullOptions& o, PullStats* stats) {
  auto writing = hold_store_for_writing(paths);  // prune waits until the reference is in place
  BlobStore blobs(paths);
  LayerStore layers(paths, blobs);
  RegistryClient client(ref.registry, ref.repository, o.registry);

  auto top = client.get_manifest(ref.manifest_ref());
  std::optional<Digest> index_blob;  // stored with the image when the reference named an index
  Descriptor mdesc;
  FetchedManifest m = top;
  if (media::is_index(top.media_type)) {
    Index idx = parse_index(top.body, "index " + ref.str());
    mdesc = select_platform(idx, o.platform, ref.str());
    m = client.get_manifest(mdesc.digest.str());
    if (m.digest != mdesc.digest)
      throw Error("manifest of " + ref.str() + ": digest mismatch: expected " + mdesc.digest.str() +
                  ", got " + m.digest.str());
    index_blob = top.digest;
  } else if (media::is_manifest(top.media_type)) {
    mdesc.media_type = top.media_type;
    mdesc.digest = top.digest;
    mdesc.size = static_cast<int64_t>(top.body.size());
  } else {
    throw Error(ref.str() + ": unsupported manifest media type \"" + top.media_type + "\"");
  }
  mdesc.media_type = m.media_type;
  mdesc.size = static_cast<int64_t>(m.body.size());
  Manifest manifest = parse_manifest(m.body, "manifest " + mdesc.digest.str());

  std::string config_text;
  if (blobs.has(manifest.config.digest)) {
    config_text = blobs.read(manifest.config.digest);
  } else {
    config_text = client.get_blob(manifest.config);
  }
  ImageConfig config = parse_image_config(config_text, "config " + manifest.config.digest.str());
  if (config.diff_ids.size() != manifest.layers.size())
    throw Error(ref.str() + ": manifest has " + std::to_string(manifest.layers.size()) +
                " layers but the config lists " + std::to_string(config.diff_ids.size()) + " diffIDs");
  if (!o.platform.architecture.empty() && !config.platform.architecture.empty() &&
      config.platform.architecture != o.platform.architecture && !media::is_index(top.media_type))
    throw Error(ref.str() + " is for " + config.platform.str() + ", not " + o.platform.str());
  for (const auto& l : manifest.layers)
    if (!media::is_layer(l.media_type))
      throw Error(ref.str() + ": layer " + l.digest.str() + " has unsupported media type \"" + l.media_type +
                  "\"");
  auto chains = chain_ids(config.diff_ids);

  if (o.progress) {
    std::vector<int64_t> sizes;
    std::vector<std::string> names;
    for (const auto& l : manifest.layers) {
      sizes.push_back(l.size);
      names.push_back(std::string(l.digest.hex().substr(0, 12)));
    }
    o.progress->set_layers(sizes, names);
  }

  std::atomic<size_t> downloaded{0}, extracted{0};
  std::atomic<int64_t> bytes{0};
  // A pull that fails takes back what it added: the store is exactly as before.
  StoreAdditions added(paths);
  auto put_new = [&](const Digest& d, const std::string& body, int64_t size) {
    if (blobs.has(d)) return;
    blobs.put(d, body, size);
    added.add_blob(d);
  };
  try {
    for_each_index_parallel(manifest.layers.size(), o.jobs, [&](size_t i) {
      const Descriptor& l = manifest.layers[i];
      if (layers.has(chains[i])) {
        if (o.progress) o.progress->state(i, "exists");
        return;
      }
      // Downloaded and extracted in one pass (the progress shows the download; extraction keeps pace).
      bool fetched = false;
      bool ext =
          layers.fetch_and_unpack(l, config.diff_ids[i], chains[i], o.unpack, [&, i](BlobIngest& ingest) {
            int64_t start = ingest.offset();
            client.fetch_blob(l, ingest, [&, i](int64_t done) {
              if (o.progress) o.progress->bytes(i, done);
            });
            bytes += l.size - start;
            fetched = true;
            added.add_blob(l.digest);
            if (o.progress) o.progress->state(i, "extracting");
          });
      if (fetched) ++downloaded;
      if (ext) {
        ++extracted;
        added.add_layer(chains[i]);
      }
      if (o.progress) o.progress->state(i, "done");
    });

    // Config and manifest go in last: a manifest in the store means its image is complete.
    if (index_blob) put_new(*index_blob, top.body, -1);
    put_new(manifest.config.digest, config_text, manifest.config.size);
    put_new(mdesc.digest, m.body, -1);
    ReferenceIndex(paths).set(ref.str(), mdesc);
  } catch (...) {
    added.discard_unreferenced(writing);
    throw;
  }
  std::vector<std::string> locks;
  for (const auto& l : manifest.layers)
    locks.push_back(paths.tmp() + "/" + std::string(l.digest.hex()) + ".lock");
  for (const auto& c : chains) locks.push_back(paths.locks() + "/layer-" + std::string(c.hex()) + ".lock");
  for (const auto& d : {manifest.config.digest, mdesc.digest})
    locks.push_back(paths.tmp() + "/" + std::string(d.hex()) + ".lock");
  sweep_stale_locks(locks);
  if (stats) {
    stats->layers_downloaded = downloaded;
    stats->layers_extracted = extracted;
    stats->bytes_downloaded = bytes;
  }
  Image img;
  img.ref = ref.str();
  img.manifest_desc = mdesc;
  img.manifest = std::move(manifest);
  img.config = std::move(config);
  img.chain_ids = std::move(chains);
  return img;
}

}  // namespace skiff::image
