// Image references as Docker and containerd spell them: "busybox" means
// "docker.io/library/busybox:latest"; "host:port/repo:tag"; "repo@sha256:…"; "repo:tag@sha256:…".
#pragma once

#include <string>
#include <string_view>

namespace skiff::image {

struct Reference {
  std::string registry;    // "docker.io", "localhost:5000", "[::1]:5000"
  std::string repository;  // "library/busybox"
  std::string tag;         // "" only when a digest is given without a tag
  std::string digest;      // "" or "sha256:<hex>"

  // Throws Error with a reason naming the input ("invalid reference "Foo": repository name must be
  // lowercase") on anything malformed.
  static Reference parse(std::string_view text);

  // "docker.io/library/busybox:latest", "...@sha256:..." or both: the canonical form we store.
  std::string str() const;
  // "docker.io/library/busybox": the name without tag or digest.
  std::string name() const { return registry + "/" + repository; }
  // "docker.io/library/busybox:latest" (tag form only; empty tag gives name()).
  std::string tagged() const { return tag.empty() ? name() : name() + ":" + tag; }
  // The host the distribution API is reached at (docker.io is served by registry-1.docker.io).
  std::string api_host() const;
  // What a manifest request names: the digest if there is one, else the tag.
  std::string manifest_ref() const { return digest.empty() ? tag : digest; }
  // True for localhost, 127.0.0.0/8 and ::1: plain HTTP is allowed there without configuration.
  bool is_loopback() const;
};

}  // namespace skiff::image
