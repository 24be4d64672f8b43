// What a type header needs to declare that a struct is a record the codec reads and writes: one field
// list per struct (its `fields` function, defined in a codec_*.cpp file) drives decoding, encoding and the
// order of keys, so the three never disagree.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace skiff::manifest {

class Decoder;
class Encoder;

// Fields that the field table accepts with a warning (they mean nothing on one host) are kept as they
// were written, so that what was applied is what is read back.
struct IgnoredFields {
  nlohmann::json fields = nlohmann::json::object();
  friend bool operator==(const IgnoredFields&, const IgnoredFields&) = default;
};

// metav1.Time: RFC 3339 text; printed as null when unset, as Kubernetes does for a zero time.
struct Time {
  std::string rfc3339;
  bool empty() const { return rfc3339.empty(); }
  friend bool operator==(const Time&, const Time&) = default;
};

}  // namespace skiff::manifest

#define SKIFF_MANIFEST_RECORD(T)                \
  void fields(::skiff::manifest::Decoder&, T&); \
  void fields(::skiff::manifest::Encoder&, T&);
