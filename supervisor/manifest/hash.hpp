// The hashes controllers and the node agent key things by.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "manifest/types_pod.hpp"

namespace skiff::manifest {

// controller.ComputeHash's shape: FNV-1a (32 bit) over the template, then collisionCount as 8 little-endian
// bytes when set, printed through SafeEncodeString. The template is hashed as its canonical JSON (keys
// sorted, defaults filled), so the hash is stable across runs and key order and changes with any field.
// (Kubernetes hashes Go's in-memory dump of the struct instead; the values differ from a cluster's.)
std::string pod_template_hash(const PodTemplateSpec& tmpl, std::optional<int32_t> collision_count);

// rand.SafeEncodeString: each byte mapped into an alphabet without vowels (and without 0, 1, 3), so the
// result can be no word.
std::string safe_encode_string(std::string_view s);

// The kubelet's container hash (kubecontainer.HashContainer): FNV-1a over the container spec as JSON,
// in hex. A change in the spec changes it: it keys the restart backoff.
std::string container_spec_hash(const Container& c);

uint32_t fnv1a32(std::string_view data, uint32_t h = 2166136261u);

}  // namespace skiff::manifest
