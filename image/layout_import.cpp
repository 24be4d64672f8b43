#include "layout_import.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include "blob_store.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "reference.hpp"
#include "reference_index.hpp"
#include "store_gc.hpp"
#include "unique_fd.hpp"

namespace skiff::image {

namespace {

std::string blob_path(const std::string& layout, const Digest& d) {
  return layout + "/blobs/sha256/" + std::string(d.hex());
}

std::string read_blob(const std::string& layout, const Descriptor& d, const std::string& what) {
  std::string data = read_file(blob_path(layout, d.digest));
  if (static_cast<int64_t>(data.size()) != d.size)
    throw Error(what + " " + d.digest.str() + ": expected " + std::to_string(d.size) +
                " bytes, the layout has " + std::to_string(data.size()));
  Digest got = sha256_of(data);
  if (got != d.digest)
    throw Error(what + " digest mismatch: expected " + d.digest.str() + ", got " + got.str());
  return data;
}

}  // namespace

Image load_oci_layout(const StorePaths& paths, const std::string& layout, const LoadOptions& o) {
  struct stat st {};
  if (::stat((layout + "/oci-layout").c_str(), &st) < 0)
    throw Error(layout + " is not an OCI image layout (no oci-layout file)");
  std::string where = layout + "/index.json";
  Index top = parse_index(read_file(where), where);
  const Descriptor* chosen = nullptr;
  std::string ref_name;
  for (const auto& d : top.manifests) {
    auto it = d.annotations.find(kRefNameAnnotation);
    std::string name = it == d.annotations.end() ? "" : it->second;
    if (o.layout_ref.empty() || name == o.layout_ref) {
      if (chosen) {
        if (o.layout_ref.empty()) throw Error(where + " holds several images: name one");
        continue;
      }
      chosen = &d;
      ref_name = name;
    }
  }
  if (!chosen) throw Error(where + ": no image named \"" + o.layout_ref + "\"");

  std::string name = o.name;
  if (name.empty()) {
    if (ref_name.find('/') != std::string::npos || ref_name.find(':') != std::string::npos) {
      name = ref_name;
    } else {
      std::string dir = layout;
      while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
      dir = dir.substr(dir.rfind('/') + 1);
      name = "localhost/" + dir + ":" + (ref_name.empty() ? "latest" : ref_name);
    }
  }
  Reference ref = Reference::parse(name);

  auto writing = hold_store_for_writing(paths);
  BlobStore blobs(paths);
  Descriptor mdesc = *chosen;
  std::string mtext = read_blob(layout, mdesc, "manifest");
  if (media::is_index(mdesc.media_type) || media::is_index(sniff_media_type(parse_json(mtext, "manifest")))) {
    Index idx = parse_index(mtext, "index " + mdesc.digest.str());
    mdesc = select_platform(idx, o.platform, layout);
    mtext = read_blob(layout, mdesc, "manifest");
  }
  if (mdesc.media_type.empty()) mdesc.media_type = media::kOciManifest;
  mdesc.platform.reset();
  mdesc.annotations.clear();
  Manifest manifest = parse_manifest(mtext, "manifest " + mdesc.digest.str());
  std::string ctext = read_blob(layout, manifest.config, "config");
  ImageConfig config = parse_image_config(ctext, "config " + manifest.config.digest.str());
  LayerStore layers(paths, blobs);
  // A load that fails takes back what it added: what was not in the store before (a concurrent pull
  // that added the same is protected by its own hold on the store, see StoreAdditions).
  StoreAdditions added(paths);
  for (const auto& l : manifest.layers) {
    if (!blobs.has(l.digest)) added.add_blob(l.digest);
  }
  std::vector<Digest> chains = chain_ids(config.diff_ids);
  for (const auto& c : chains)
    if (!layers.has(c)) added.add_layer(c);
  for (const auto& d : {manifest.config.digest, mdesc.digest})
    if (!blobs.has(d)) added.add_blob(d);
  try {
    // Each layer blob is copied into the store, verified and extracted in one pass.
    layers.unpack(manifest, config, o.unpack, [&](size_t i, BlobIngest& ingest) {
      std::string src = blob_path(layout, manifest.layers[i].digest);
      UniqueFd fd(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) throw_errno("open " + src);
      BlobStore::copy_into(ingest, fd.get(), src);
    });
    // A layer already extracted is not fetched: its blob is copied on its own.
    for (const auto& l : manifest.layers) blobs.import_file(l.digest, l.size, blob_path(layout, l.digest));
    blobs.put(manifest.config.digest, ctext, manifest.config.size);
    blobs.put(mdesc.digest, mtext, mdesc.size);
    ReferenceIndex(paths).set(ref.str(), mdesc);
  } catch (...) {
    added.discard_unreferenced(writing);
    throw;
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
