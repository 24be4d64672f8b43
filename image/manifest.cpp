#include "manifest.hpp"

#include <sys/utsname.h>

#include "error.hpp"

namespace skiff::image {

namespace media {
bool is_manifest(const std::string& mt) {
  return mt == kOciManifest || mt == kDockerManifest;
}
bool is_index(const std::string& mt) {
  return mt == kOciIndex || mt == kDockerList;
}
bool is_layer(const std::string& mt) {
  return mt == kOciLayer || mt == kOciLayerGzip || mt == kOciLayerZstd || mt == kDockerLayerGzip ||
         mt == kDockerForeignLayer || mt == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" ||
         mt == "application/vnd.docker.image.rootfs.diff.tar";
}
}  // namespace media

std::string Platform::str() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

Platform Platform::parse(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    auto slash = text.find('/', start);
    parts.push_back(text.substr(start, slash == std::string::npos ? slash : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  Platform p;
  for (auto& s : parts)
    if (s.empty()) throw Error("invalid platform \"" + text + "\" (want os/arch[/variant])");
  if (parts.size() == 1) {
    p.architecture = parts[0];
  } else if (parts.size() <= 3) {
    p.os = parts[0];
    p.architecture = parts[1];
    if (parts.size() == 3) p.variant = parts[2];
  } else {
    throw Error("invalid platform \"" + text + "\" (want os/arch[/variant])");
  }
  // Normalize the spellings people use to the GOARCH ones registries use.
  if (p.architecture == "x86_64" || p.architecture == "x86-64") p.architecture = "amd64";
  if (p.architecture == "aarch64") p.architecture = "arm64";
  if (p.architecture == "armhf") p.architecture = "arm", p.variant = p.variant.empty() ? "v7" : p.variant;
  if (p.architecture == "arm64" && p.variant == "v8") p.variant.clear();
  return p;
}

Platform Platform::host() {
  struct utsname u {};
  ::uname(&u);
  std::string m = u.machine;
  if (m == "armv7l") return parse("linux/arm/v7");
  if (m == "armv6l") return parse("linux/arm/v6");
  if (m == "i686" || m == "i386") return parse("linux/386");
  return parse("linux/" + m);
}

nlohmann::json parse_json(const std::string& text, const std::string& where) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": invalid JSON: " + e.what());
  }
}

namespace {

std::string get_string(const nlohmann::json& j, const char* key, const std::string& where, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) throw Error(where + ": missing \"" + key + "\"");
    return {};
  }
  if (!it->is_string()) throw Error(where + ": \"" + key + "\" is not a string");
  return it->get<std::string>();
}

std::map<std::string, std::string> string_map(const nlohmann::json& j, const char* key) {
  std::map<std::string, std::string> m;
  auto it = j.find(key);
  if (it != j.end() && it->is_object())
    for (auto& [k, v] : it->items())
      if (v.is_string()) m[k] = v.get<std::string>();
  return m;
}

std::vector<std::string> string_list(const nlohmann::json& j, const char* key, const std::string& where) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) throw Error(where + ": \"" + key + "\" is not a list");
  for (auto& v : *it) {
    if (!v.is_string()) throw Error(where + ": \"" + key + "\" has a non-string entry");
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::vector<std::string> object_keys(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it != j.end() && it->is_object())
    for (auto& [k, v] : it->items()) out.push_back(k);
  return out;
}

}  // namespace

Descriptor Descriptor::from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": descriptor is not an object");
  Descriptor d;
  d.media_type = get_string(j, "mediaType", where, false);
  d.digest = Digest::parse(get_string(j, "digest", where, true));
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0)
    throw Error(where + ": descriptor " + d.digest.str() + " has no valid \"size\"");
  d.size = size->get<int64_t>();
  if (auto p = j.find("platform"); p != j.end() && p->is_object()) {
    Platform pl;
    pl.os = get_string(*p, "os", where, false);
    pl.architecture = get_string(*p, "architecture", where, false);
    pl.variant = get_string(*p, "variant", where, false);
    d.platform = pl;
  }
  d.urls = string_list(j, "urls", where);
  d.annotations = string_map(j, "annotations");
  return d;
}

nlohmann::json Descriptor::to_json() const {
  nlohmann::json j{{"mediaType", media_type}, {"digest", digest.str()}, {"size", size}};
  if (platform) {
    j["platform"] = {{"os", platform->os}, {"architecture", platform->architecture}};
    if (!platform->variant.empty()) j["platform"]["variant"] = platform->variant;
  }
  if (!annotations.empty()) j["annotations"] = annotations;
  return j;
}

std::string sniff_media_type(const nlohmann::json& doc) {
  if (!doc.is_object()) return {};
  if (auto mt = doc.find("mediaType"); mt != doc.end() && mt->is_string()) return mt->get<std::string>();
  if (doc.contains("manifests")) return media::kOciIndex;
  if (doc.contains("layers")) return media::kOciManifest;
  return {};
}

Manifest parse_manifest(const std::string& text, const std::string& where) {
  auto j = parse_json(text, where);
  if (!j.is_object()) throw Error(where + ": manifest is not an object");
  if (j.value("schemaVersion", 0) != 2)
    throw Error(where + ": unsupported manifest schemaVersion (only 2; Docker schema1 is not supported)");
  Manifest m;
  m.media_type = sniff_media_type(j);
  if (!media::is_manifest(m.media_type))
    throw Error(where + ": not an image manifest (" + m.media_type + ")");
  if (!j.contains("config")) throw Error(where + ": manifest has no config");
  m.config = Descriptor::from_json(j["config"], where + " config");
  auto layers = j.find("layers");
  if (layers == j.end() || !layers->is_array()) throw Error(where + ": manifest has no layers list");
  for (auto& l : *layers) {
    auto d = Descriptor::from_json(l, where + " layer");
    if (!media::is_layer(d.media_type))
      throw Error(where + ": layer " + d.digest.str() + " has unsupported media type \"" + d.media_type +
                  "\"");
    m.layers.push_back(std::move(d));
  }
  m.annotations = string_map(j, "annotations");
  return m;
}

Index parse_index(const std::string& text, const std::string& where) {
  auto j = parse_json(text, where);
  if (!j.is_object()) throw Error(where + ": index is not an object");
  Index ix;
  ix.media_type = sniff_media_type(j);
  auto ms = j.find("manifests");
  if (ms == j.end() || !ms->is_array()) throw Error(where + ": index has no manifests list");
  for (auto& d : *ms) ix.manifests.push_back(Descriptor::from_json(d, where + " entry"));
  return ix;
}

ImageConfig parse_image_config(const std::string& text, const std::string& where) {
  auto j = parse_json(text, where);
  if (!j.is_object()) throw Error(where + ": image config is not an object");
  ImageConfig c;
  c.raw = j;
  c.platform.os = get_string(j, "os", where, false);
  c.platform.architecture = get_string(j, "architecture", where, false);
  c.platform.variant = get_string(j, "variant", where, false);
  c.created = get_string(j, "created", where, false);
  if (auto cfg = j.find("config"); cfg != j.end() && cfg->is_object()) {
    c.entrypoint = string_list(*cfg, "Entrypoint", where);
    c.cmd = string_list(*cfg, "Cmd", where);
    c.env = string_list(*cfg, "Env", where);
    c.working_dir = get_string(*cfg, "WorkingDir", where, false);
    c.user = get_string(*cfg, "User", where, false);
    c.stop_signal = get_string(*cfg, "StopSignal", where, false);
    c.exposed_ports = object_keys(*cfg, "ExposedPorts");
    c.volumes = object_keys(*cfg, "Volumes");
    c.labels = string_map(*cfg, "Labels");
  }
  auto rootfs = j.find("rootfs");
  if (rootfs == j.end() || !rootfs->is_object()) throw Error(where + ": image config has no rootfs");
  if (rootfs->value("type", "") != "layers") throw Error(where + ": rootfs.type is not \"layers\"");
  for (auto& s : string_list(*rootfs, "diff_ids", where)) c.diff_ids.push_back(Digest::parse(s));
  return c;
}

const Descriptor& select_platform(const Index& index, const Platform& want, const std::string& where) {
  const Descriptor* fallback = nullptr;
  std::string offered;
  for (auto& d : index.manifests) {
    if (!media::is_manifest(d.media_type) && !d.media_type.empty()) continue;
    if (!d.platform) continue;
    auto p = *d.platform;
    if (p.architecture == "arm64" && p.variant == "v8") p.variant.clear();
    if (!offered.empty()) offered += ", ";
    offered += p.str();
    if (p.os != want.os || p.architecture != want.architecture) continue;
    if (p.variant == want.variant) return d;
    if (p.variant.empty() && !fallback) fallback = &d;
  }
  if (fallback) return *fallback;
  throw Error(where + ": no image for platform " + want.str() +
              " (the index has: " + (offered.empty() ? "nothing" : offered) + ")");
}

std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids) {
  std::vector<Digest> out;
  for (auto& d : diff_ids) {
    if (out.empty())
      out.push_back(d);
    else
      out.push_back(sha256_of(out.back().str() + " " + d.str()));
  }
  return out;
}

}  // namespace skiff::image
