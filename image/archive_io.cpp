#include "archive_io.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "blob_store.hpp"
#include "digest.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "reference.hpp"
#include "reference_index.hpp"
#include "unique_fd.hpp"

namespace skiff::image {

namespace {

using json = nlohmann::json;

// "./a//b/../c" -> "a/c"; throws on a path that climbs out of the archive or is absolute.
std::string clean_member(const std::string& archive, const std::string& name) {
  if (!name.empty() && name[0] == '/') throw Error(archive + ": member \"" + name + "\" is an absolute path");
  std::vector<std::string> parts;
  std::string part;
  auto flush = [&] {
    if (part == "..") {
      if (parts.empty()) throw Error(archive + ": member \"" + name + "\" leaves the archive");
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    part.clear();
  };
  for (char c : name) {
    if (c == '/')
      flush();
    else
      part += c;
  }
  flush();
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

struct ArchiveReader {
  struct archive* a = archive_read_new();
  ~ArchiveReader() { archive_read_free(a); }
};

// Unpacks the archive's regular files and directories under `dir`; returns its symlinks (cleaned
// member path -> target as written).
std::map<std::string, std::string> unpack_archive(const std::string& archive, const std::string& dir) {
  ArchiveReader r;
  archive_read_support_format_tar(r.a);
  archive_read_support_format_gnutar(r.a);
  archive_read_support_filter_all(r.a);
  if (archive_read_open_filename(r.a, archive.c_str(), 1 << 20) != ARCHIVE_OK)
    throw Error(archive + ": " + archive_error_string(r.a));
  std::map<std::string, std::string> links;
  for (;;) {
    struct archive_entry* e;
    int rc = archive_read_next_header(r.a, &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK)
      throw Error(archive + ": not a readable tar archive (" + archive_error_string(r.a) + ")");
    std::string name = clean_member(archive, archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
    if (name.empty()) continue;
    std::string path = dir + "/" + name;
    auto type = archive_entry_filetype(e);
    if (type == AE_IFDIR) {
      mkdir_all(path, 0700);
    } else if (type == AE_IFLNK && archive_entry_symlink(e)) {
      links[name] = archive_entry_symlink(e);
    } else if (type == AE_IFREG && !archive_entry_hardlink(e)) {
      if (name.find('/') != std::string::npos) mkdir_all(path.substr(0, path.rfind('/')), 0700);
      UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!fd) throw Error(errno, archive + ": write " + name);
      if (archive_read_data_into_fd(r.a, fd.get()) != ARCHIVE_OK)
        throw Error(archive + ": " + name + ": " + archive_error_string(r.a));
    } else {
      throw Error(archive + ": member \"" + name + "\" is neither a file nor a directory");
    }
  }
  return links;
}

// A member path of a docker-save manifest, through the archive's symlinks (older Docker links a
// layer seen twice to its first copy), never outside the archive.
std::string resolve_member(const std::string& archive, const std::map<std::string, std::string>& links,
                           std::string name) {
  name = clean_member(archive, name);
  for (int hops = 0; hops < 16; ++hops) {
    auto it = links.find(name);
    if (it == links.end()) return name;
    std::string base = name.find('/') == std::string::npos ? "" : name.substr(0, name.rfind('/') + 1);
    name = clean_member(archive, it->second[0] == '/' ? it->second : base + it->second);
  }
  throw Error(archive + ": too many symlinks at \"" + name + "\"");
}

void link_blob(const std::string& src, const std::string& layout, const Digest& d) {
  std::string dst = layout + "/blobs/sha256/" + std::string(d.hex());
  if (::access(dst.c_str(), F_OK) == 0) return;
  if (::link(src.c_str(), dst.c_str()) != 0) throw Error(errno, "link " + src + " into the layout");
}

// Turns an unpacked docker-save tar into an OCI layout in the same directory (blobs hard-linked), each
// RepoTag a ref name.
void docker_save_to_layout(const std::string& archive, const std::string& dir,
                           const std::map<std::string, std::string>& links) {
  json manifests;
  try {
    manifests = json::parse(read_file(dir + "/manifest.json"));
  } catch (const json::exception& e) {
    throw Error(archive + ": manifest.json is not JSON (" + e.what() + ")");
  }
  if (!manifests.is_array() || manifests.empty()) throw Error(archive + ": manifest.json lists no image");
  mkdir_all(dir + "/blobs/sha256", 0700);
  json index = {{"schemaVersion", 2}, {"manifests", json::array()}};
  for (const auto& m : manifests) {
    if (!m.is_object() || !m.contains("Config") || !m["Config"].is_string() || !m.contains("Layers") ||
        !m["Layers"].is_array())
      throw Error(archive + ": manifest.json entry without Config and Layers");
    std::string config_path = dir + "/" + resolve_member(archive, links, m["Config"].get<std::string>());
    Digest config_digest = sha256_of_file(config_path);
    link_blob(config_path, dir, config_digest);
    json layers = json::array();
    for (const auto& l : m["Layers"]) {
      if (!l.is_string()) throw Error(archive + ": manifest.json: a layer is not a path");
      std::string p = dir + "/" + resolve_member(archive, links, l.get<std::string>());
      struct stat st {};
      if (::stat(p.c_str(), &st) != 0) throw Error(errno, archive + ": layer " + l.get<std::string>());
      Digest d = sha256_of_file(p);
      link_blob(p, dir, d);
      // Docker saves layers uncompressed; the extractor detects compression by content either way.
      layers.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                        {"digest", d.str()},
                        {"size", static_cast<int64_t>(st.st_size)}});
    }
    struct stat cst {};
    ::stat(config_path.c_str(), &cst);
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                     {"config",
                      {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                       {"digest", config_digest.str()},
                       {"size", static_cast<int64_t>(cst.st_size)}}},
                     {"layers", layers}};
    std::string text = manifest.dump();
    Digest md = sha256_of(text);
    write_file_atomic(dir + "/blobs/sha256/" + std::string(md.hex()), text, 0600, Durability::kVolatile);
    std::vector<std::string> tags;
    if (m.contains("RepoTags") && m["RepoTags"].is_array())
      for (const auto& t : m["RepoTags"])
        if (t.is_string()) tags.push_back(t.get<std::string>());
    if (tags.empty()) tags.push_back("");
    for (const auto& t : tags) {
      json desc = {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"digest", md.str()},
                   {"size", text.size()}};
      if (!t.empty()) desc["annotations"] = {{"org.opencontainers.image.ref.name", t}};
      index["manifests"].push_back(desc);
    }
  }
  write_file_atomic(dir + "/index.json", index.dump(), 0600, Durability::kVolatile);
  write_file_atomic(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})", 0600, Durability::kVolatile);
}

// Docker 25.0's `docker save` wrote OCI manifests that list only "foreign" layers (usually none) beside
// a manifest.json that lists them all; later versions list every layer in both. True when each image
// of the layout has as many layers as its config has diffIDs (an unreadable layout counts as not).
bool oci_layout_lists_every_layer(const std::string& dir) {
  auto blob = [&](const json& desc) {
    Digest d = Digest::parse(desc.at("digest").get<std::string>());
    return json::parse(read_file(dir + "/blobs/sha256/" + std::string(d.hex())));
  };
  try {
    json idx = json::parse(read_file(dir + "/index.json"));
    for (const auto& d : idx.at("manifests")) {
      json m = blob(d);
      if (!m.contains("layers")) continue;  // a nested index: the normal path decides
      if (m.at("layers").size() != blob(m.at("config")).at("rootfs").at("diff_ids").size()) return false;
    }
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// A directory under the store's tmp/ removed when this goes out of scope.
class TempTree {
 public:
  explicit TempTree(const StorePaths& paths) {
    paths.ensure();
    path_ = paths.tmp() + "/archive." + std::to_string(::getpid()) + ".XXXXXX";
    if (!::mkdtemp(path_.data())) throw Error(errno, "create " + path_);
  }
  ~TempTree() {
    try {
      remove_all(path_);
    } catch (...) {
    }
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

bool exists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

}  // namespace

namespace {

// Docker (25 and later) names each tag of a saved image in index.json with the full reference in
// containerd's annotation and only the tag in the OCI one.
constexpr const char* kContainerdNameAnnotation = "io.containerd.image.name";

// One index.json entry of an archive and the reference it is stored under ("" = the archive gives none).
struct ArchiveEntry {
  json desc;
  std::string ref_name, full_name, name;
};

std::string annotation(const json& desc, const char* key) {
  const json& a =
      desc.contains("annotations") && desc["annotations"].is_object() ? desc["annotations"] : json();
  auto it = a.is_object() ? a.find(key) : a.end();
  return it != a.end() && it->is_string() ? it->get<std::string>() : "";
}

bool is_full_reference(const std::string& s) {
  return s.find('/') != std::string::npos || s.find(':') != std::string::npos;
}

// "path/to/My Image.tar.gz" -> "my-image": a bare tag goes under localhost/<this>.
std::string archive_stem(const std::string& archive) {
  std::string stem = archive.substr(archive.rfind('/') + 1);
  for (const char* ext : {".tar.gz", ".tgz", ".tar"})
    if (stem.size() > std::strlen(ext) &&
        stem.compare(stem.size() - std::strlen(ext), std::string::npos, ext) == 0)
      stem.resize(stem.size() - std::strlen(ext));
  for (auto& c : stem) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '-';
  }
  return stem.empty() ? "image" : stem;
}

// Whether `want` (what --ref said) names this entry: its tag, its full name, or the same canonical ref.
bool entry_matches(const ArchiveEntry& e, const std::string& want) {
  if (want == e.ref_name || want == e.full_name || want == e.name) return true;
  if (e.name.empty()) return false;
  try {
    return Reference::parse(want).str() == Reference::parse(e.name).str();
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

std::vector<Image> load_image_archive(const StorePaths& paths, const std::string& archive,
                                      const LoadOptions& o) {
  TempTree tmp(paths);
  auto links = unpack_archive(archive, tmp.path());
  // Newer Docker writes an OCI layout beside its manifest.json: the layout is read then (it carries
  // the same blobs, and the full names in its annotations).
  bool oci = exists(tmp.path() + "/oci-layout") && exists(tmp.path() + "/index.json");
  // A Docker 25.0 tar's layout lacks the layers: its manifest.json is read instead, as `docker load` does.
  if (oci && exists(tmp.path() + "/manifest.json") && !oci_layout_lists_every_layer(tmp.path())) oci = false;
  if (!oci) {
    if (!exists(tmp.path() + "/manifest.json"))
      throw Error(archive +
                  ": neither an OCI archive (oci-layout, index.json) nor a docker save tar (manifest.json)");
    docker_save_to_layout(archive, tmp.path(), links);
  }
  json idx;
  try {
    idx = json::parse(read_file(tmp.path() + "/index.json"));
  } catch (const json::exception& e) {
    throw Error(archive + ": index.json is not JSON (" + e.what() + ")");
  }
  if (!idx.is_object() || !idx.contains("manifests") || !idx["manifests"].is_array())
    throw Error(archive + ": index.json has no manifests list");

  // Every image under every name, as `docker load` does; --ref picks some, --name renames one.
  std::vector<ArchiveEntry> entries;
  for (const auto& d : idx["manifests"]) {
    if (!d.is_object() || !d.contains("digest") || !d["digest"].is_string())
      throw Error(archive + ": index.json: an entry without a digest");
    ArchiveEntry e{d, annotation(d, kRefNameAnnotation), annotation(d, kContainerdNameAnnotation), ""};
    if (!e.full_name.empty())
      e.name = e.full_name;
    else if (is_full_reference(e.ref_name))
      e.name = e.ref_name;
    else if (!e.ref_name.empty())
      e.name = "localhost/" + archive_stem(archive) + ":" + e.ref_name;
    if (o.layout_ref.empty() || entry_matches(e, o.layout_ref)) entries.push_back(std::move(e));
  }
  if (entries.empty()) {
    std::string names;
    for (const auto& d : idx["manifests"]) {
      std::string n = annotation(d, kContainerdNameAnnotation);
      if (n.empty()) n = annotation(d, kRefNameAnnotation);
      if (!n.empty()) names += (names.empty() ? "" : ", ") + n;
    }
    if (o.layout_ref.empty()) throw Error(archive + ": holds no image");
    throw Error(archive + ": no image named \"" + o.layout_ref +
                "\" (it has: " + (names.empty() ? "only unnamed images" : names) + ")");
  }
  std::vector<std::string> digests;  // distinct manifests, in the archive's order
  for (const auto& e : entries)
    if (std::find(digests.begin(), digests.end(), e.desc["digest"].get<std::string>()) == digests.end())
      digests.push_back(e.desc["digest"].get<std::string>());
  if (!o.name.empty()) {
    if (digests.size() > 1)
      throw Error(archive + ": --name needs one image, the archive has " + std::to_string(digests.size()) +
                  " (pick one with --ref)");
    entries.resize(1);
    entries[0].name = o.name;
  } else if (entries.size() == 1 && entries[0].name.empty()) {
    entries[0].name = "localhost/" + archive_stem(archive) + ":latest";  // one unnamed image
  } else {
    for (const auto& e : entries)
      if (e.name.empty())
        throw Error(archive + ": image " + e.desc["digest"].get<std::string>() +
                    " has no name and the archive holds several; name it with --ref and --name");
  }

  std::vector<Image> loaded;
  for (const auto& dg : digests) {
    size_t first = loaded.size();  // this image's first load, once done
    for (const auto& e : entries) {
      if (e.desc["digest"] != dg) continue;
      if (first == loaded.size()) {
        // The loader picks the layout's only image: index.json is rewritten to hold just this one.
        json one = idx;
        one["manifests"] = json::array({e.desc});
        write_file_atomic(tmp.path() + "/index.json", one.dump(), 0600, Durability::kVolatile);
        LoadOptions lo = o;
        lo.layout_ref.clear();
        lo.name = e.name;
        try {
          loaded.push_back(load_oci_layout(paths, tmp.path(), lo));
        } catch (const Error& err) {
          throw Error(archive + ": " + err.what());
        }
      } else {
        // Another tag of the same image: only a reference more.
        Image img = loaded[first];
        img.ref = Reference::parse(e.name).str();
        ReferenceIndex(paths).set(img.ref, img.manifest_desc);
        loaded.push_back(std::move(img));
      }
    }
  }
  return loaded;
}

namespace {

struct ArchiveWriter {
  struct archive* a = archive_write_new();
  ~ArchiveWriter() { archive_write_free(a); }
};

void add_member(struct archive* a, const std::string& name, int64_t size, const std::function<void()>& data) {
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, name.back() == '/' ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm(e, name.back() == '/' ? 0755 : 0644);
  archive_entry_set_size(e, name.back() == '/' ? 0 : size);
  archive_entry_set_mtime(e, 0, 0);
  int rc = archive_write_header(a, e);
  archive_entry_free(e);
  if (rc != ARCHIVE_OK) throw Error(std::string("write archive: ") + archive_error_string(a));
  if (data) data();
}

void add_bytes(struct archive* a, const std::string& name, const std::string& bytes) {
  add_member(a, name, static_cast<int64_t>(bytes.size()), [&] {
    if (archive_write_data(a, bytes.data(), bytes.size()) != static_cast<la_ssize_t>(bytes.size()))
      throw Error(std::string("write archive: ") + archive_error_string(a));
  });
}

void add_blob_file(struct archive* a, const std::string& name, const std::string& path, int64_t size) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw Error(errno, "open blob " + path);
  add_member(a, name, size, [&] {
    std::vector<char> buf(1 << 20);
    int64_t left = size;
    while (left > 0) {
      ssize_t n = ::read(fd.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw Error(errno ? errno : EIO, "read blob " + path);
      if (archive_write_data(a, buf.data(), static_cast<size_t>(n)) != n)
        throw Error(std::string("write archive: ") + archive_error_string(a));
      left -= n;
    }
  });
}

}  // namespace

void save_oci_archive(const StorePaths& paths, const Image& image, const std::string& out) {
  BlobStore blobs(paths);
  std::vector<Descriptor> all = {image.manifest.config};
  all.insert(all.end(), image.manifest.layers.begin(), image.manifest.layers.end());
  for (const auto& d : all)
    if (!blobs.has(d.digest))
      throw Error("blob " + d.digest.str() + " of " + image.ref + " is not in the store");
  std::string tmp = out + ".tmp." + std::to_string(::getpid());
  try {
    ArchiveWriter w;
    archive_write_set_format_pax_restricted(w.a);
    if (archive_write_open_filename(w.a, tmp.c_str()) != ARCHIVE_OK)
      throw Error(out + ": " + archive_error_string(w.a));
    add_bytes(w.a, "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    json desc = image.manifest_desc.to_json();
    desc["annotations"] = {{"org.opencontainers.image.ref.name", image.ref}};
    add_bytes(w.a, "index.json", json({{"schemaVersion", 2}, {"manifests", {desc}}}).dump());
    add_member(w.a, "blobs/", 0, nullptr);
    add_member(w.a, "blobs/sha256/", 0, nullptr);
    add_bytes(w.a, "blobs/sha256/" + std::string(image.manifest_desc.digest.hex()),
              blobs.read(image.manifest_desc.digest));
    std::map<std::string, bool> written;
    for (const auto& d : all) {
      std::string name = "blobs/sha256/" + std::string(d.digest.hex());
      if (written[name]) continue;
      written[name] = true;
      add_blob_file(w.a, name, blobs.path(d.digest), d.size);
    }
    if (archive_write_close(w.a) != ARCHIVE_OK) throw Error(out + ": " + archive_error_string(w.a));
    UniqueFd fd(::open(tmp.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || ::fsync(fd.get()) != 0) throw Error(errno, "sync " + tmp);
    if (::rename(tmp.c_str(), out.c_str()) != 0) throw Error(errno, "rename " + tmp + " to " + out);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

}  // namespace skiff::image
