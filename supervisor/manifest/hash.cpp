#include "manifest/hash.hpp"

#include <cstdio>

#include "manifest/codec.hpp"

namespace skiff::manifest {

uint32_t fnv1a32(std::string_view data, uint32_t h) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

std::string safe_encode_string(std::string_view s) {
  static constexpr std::string_view kAlphanums = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (unsigned char c : s) out += kAlphanums[c % kAlphanums.size()];
  return out;
}

std::string pod_template_hash(const PodTemplateSpec& tmpl, std::optional<int32_t> collision_count) {
  uint32_t h = fnv1a32(encode_value(tmpl).dump());
  if (collision_count) {
    uint32_t c = static_cast<uint32_t>(*collision_count);
    char bytes[8] = {static_cast<char>(c & 0xff),
                     static_cast<char>((c >> 8) & 0xff),
                     static_cast<char>((c >> 16) & 0xff),
                     static_cast<char>(c >> 24),
                     0,
                     0,
                     0,
                     0};
    h = fnv1a32(std::string_view(bytes, 8), h);
  }
  return safe_encode_string(std::to_string(h));
}

std::string container_spec_hash(const Container& c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", fnv1a32(encode_value(c).dump()));
  return buf;
}

}  // namespace skiff::manifest
