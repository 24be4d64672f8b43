// The JSON documents of an image: descriptors, manifests, indexes (OCI and Docker schema2 spellings)
// and the image config. Parsing validates what we rely on and names the document in every error.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "digest.hpp"

namespace skiff::image {

namespace media {
inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr const char* kDockerForeignLayer =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
bool is_manifest(const std::string& mt);
bool is_index(const std::string& mt);
bool is_layer(const std::string& mt);
}  // namespace media

struct Platform {
  std::string os = "linux";
  std::string architecture;  // GOARCH spelling: amd64, arm64, arm, 386 ...
  std::string variant;       // v7, v8 ...
  std::string str() const;   // "linux/arm64/v8"
  // "linux/arm64", "linux/arm/v7", "arm64"; throws Error on a malformed one.
  static Platform parse(const std::string& text);
  static Platform host();
};

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::optional<Platform> platform;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;

  static Descriptor from_json(const nlohmann::json& j, const std::string& where);
  nlohmann::json to_json() const;
};

struct Manifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
};

struct Index {
  std::string media_type;
  std::vector<Descriptor> manifests;
};

// The parts of the image config (OCI image-spec config / Docker's container config) that we use.
struct ImageConfig {
  Platform platform;
  std::vector<std::string> entrypoint, cmd, env;
  std::string working_dir, user, stop_signal;
  std::vector<std::string> exposed_ports, volumes;
  std::map<std::string, std::string> labels;
  std::vector<Digest> diff_ids;
  std::string created;
  nlohmann::json raw;
};

// Guesses the media type of a manifest document when the transport did not say (OCI layouts allow an
// absent mediaType): "manifests" means an index, "layers" a manifest.
std::string sniff_media_type(const nlohmann::json& doc);

nlohmann::json parse_json(const std::string& text, const std::string& where);
Manifest parse_manifest(const std::string& text, const std::string& where);
Index parse_index(const std::string& text, const std::string& where);
ImageConfig parse_image_config(const std::string& text, const std::string& where);

// The descriptor in `index` that best fits `want`: same os/architecture; an exact variant first, then
// no variant. Throws Error listing what the index offers if nothing fits.
const Descriptor& select_platform(const Index& index, const Platform& want, const std::string& where);

// chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)) (image-spec).
std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids);

}  // namespace skiff::image
