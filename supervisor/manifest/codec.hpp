// The decoder and encoder that walk a record's field list. Decoding is strict, as the API server's strict
// field validation: a value of the wrong JSON type is an error naming its path, and a key the record does
// not list is looked up in the field table (accepted with a warning, not supported, or unknown).
// Encoding follows encoding/json with Kubernetes' tags: `omitempty` leaves out empty strings, zeros, false,
// empty lists and maps and unset optionals; records are always written.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifest/codec_fwd.hpp"
#include "manifest/diagnostics.hpp"
#include "manifest/field_path.hpp"
#include "manifest/int_or_string.hpp"
#include "manifest/quantity.hpp"

namespace skiff::manifest {

enum class Emit { omit_empty, always };

template <typename T>
concept Record = requires(Decoder& d, T& t) {
  fields(d, t);
};

// Reports that `v` is not of the JSON type a field needs, with a hint for YAML's plain scalars.
void type_error(Diagnostics& diags, const FieldPath& path, const nlohmann::json& v, std::string_view want);

void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, std::string& out);
void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, bool& out);
void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, int32_t& out);
void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, int64_t& out);
void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, Quantity& out);
void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, IntOrString& out);
void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, Time& out);
void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, nlohmann::json& out);
template <Record T>
void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, T& out);
template <typename T>
void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, std::optional<T>& out);
template <typename T>
void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, std::vector<T>& out);
template <typename T>
void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, std::map<std::string, T>& out);

class Decoder {
 public:
  Decoder(const nlohmann::json& obj, FieldPath path, Diagnostics& diags)
      : obj_(obj), path_(std::move(path)), diags_(diags) {}

  void type(std::string_view name) { type_ = name; }
  void keep_ignored(IgnoredFields& store) { ignored_ = &store; }
  // A key handled elsewhere (apiVersion and kind at an object's top).
  void accept(const char* name) { seen_.push_back(name); }
  template <typename T>
  void operator()(const char* name, T& out, Emit = Emit::omit_empty) {
    seen_.push_back(name);
    auto it = obj_.find(name);
    if (it == obj_.end() || it->is_null()) return;
    decode_value(*it, path_.child(name), diags_, out);
  }
  // Reports the keys that no field took: warned (kept), unsupported or unknown.
  void finish();
  const FieldPath& path() const { return path_; }
  Diagnostics& diags() { return diags_; }

 private:
  const nlohmann::json& obj_;
  FieldPath path_;
  Diagnostics& diags_;
  std::string_view type_;
  IgnoredFields* ignored_ = nullptr;
  std::vector<std::string_view> seen_;
};

template <Record T>
void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, T& out) {
  if (!v.is_object()) return type_error(d, p, v, "an object");
  Decoder sub(v, p, d);
  fields(sub, out);
  sub.finish();
}

template <typename T>
void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, std::optional<T>& out) {
  if (v.is_null()) return;
  out.emplace();
  decode_value(v, p, d, *out);
}

template <typename T>
void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, std::vector<T>& out) {
  if (!v.is_array()) return type_error(d, p, v, "a list");
  out.clear();
  out.resize(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    if (!v[i].is_null()) decode_value(v[i], p.index(i), d, out[i]);
}

template <typename T>
void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d,
                  std::map<std::string, T>& out) {
  if (!v.is_object()) return type_error(d, p, v, "a map");
  out.clear();
  for (auto& [k, item] : v.items())
    if (!item.is_null()) decode_value(item, p.key(k), d, out[k]);
}

// --- encoding ---

inline bool is_empty(const std::string& v) {
  return v.empty();
}
inline bool is_empty(bool v) {
  return !v;
}
inline bool is_empty(int32_t v) {
  return v == 0;
}
inline bool is_empty(int64_t v) {
  return v == 0;
}
inline bool is_empty(const nlohmann::json& v) {
  return v.is_null() || (v.is_object() && v.empty());
}
inline bool is_empty(const Quantity&) {
  return false;
}
inline bool is_empty(const IntOrString&) {
  return false;
}
inline bool is_empty(const Time&) {
  return false;
}
template <typename T>
bool is_empty(const std::optional<T>& v) {
  return !v.has_value();
}
template <typename T>
bool is_empty(const std::vector<T>& v) {
  return v.empty();
}
template <typename T>
bool is_empty(const std::map<std::string, T>& v) {
  return v.empty();
}
template <Record T>
bool is_empty(const T&) {
  return false;
}

inline nlohmann::json encode_value(const std::string& v) {
  return v;
}
inline nlohmann::json encode_value(bool v) {
  return v;
}
inline nlohmann::json encode_value(int32_t v) {
  return v;
}
inline nlohmann::json encode_value(int64_t v) {
  return v;
}
inline nlohmann::json encode_value(const nlohmann::json& v) {
  return v;
}
inline nlohmann::json encode_value(const Quantity& v) {
  return v.str();
}
inline nlohmann::json encode_value(const IntOrString& v) {
  return v.to_json();
}
inline nlohmann::json encode_value(const Time& v) {
  return v.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.rfc3339);
}
template <Record T>
nlohmann::json encode_value(const T& v);
template <typename T>
nlohmann::json encode_value(const std::optional<T>& v) {
  return v ? encode_value(*v) : nlohmann::json(nullptr);
}
template <typename T>
nlohmann::json encode_value(const std::vector<T>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (const T& x : v) a.push_back(encode_value(x));
  return a;
}
template <typename T>
nlohmann::json encode_value(const std::map<std::string, T>& v) {
  nlohmann::json o = nlohmann::json::object();
  for (const auto& [k, x] : v) o[k] = encode_value(x);
  return o;
}

class Encoder {
 public:
  void type(std::string_view) {}
  void accept(const char*) {}
  void keep_ignored(const IgnoredFields& store) {
    for (auto& [k, v] : store.fields.items()) out[k] = v;
  }
  template <typename T>
  void operator()(const char* name, const T& v, Emit e = Emit::omit_empty) {
    if (e == Emit::omit_empty && is_empty(v)) return;
    out[name] = encode_value(v);
  }
  nlohmann::json out = nlohmann::json::object();
};

template <Record T>
nlohmann::json encode_value(const T& v) {
  Encoder e;
  fields(e, const_cast<T&>(v));  // the encoder only reads
  return std::move(e.out);
}

// An object of the metadata/spec/status shape; apiVersion and kind are the object layer's.
template <typename V, typename T>
void object_fields(V& v, T& s, std::string_view type) {
  v.type(type);
  v.accept("apiVersion");
  v.accept("kind");
  v("metadata", s.metadata);
  v("spec", s.spec);
  v("status", s.status);
}

}  // namespace skiff::manifest

// Defines a record's field list once, for both the decoder and the encoder.
#define SKIFF_FIELDS(T)                              \
  template <typename V>                              \
  static void fields_of(V& v, T& s);                 \
  void fields(::skiff::manifest::Decoder& d, T& s) { \
    fields_of(d, s);                                 \
  }                                                  \
  void fields(::skiff::manifest::Encoder& e, T& s) { \
    fields_of(e, s);                                 \
  }                                                  \
  template <typename V>                              \
  static void fields_of(V& v, T& s)
