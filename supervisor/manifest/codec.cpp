#include "manifest/codec.hpp"

#include <cmath>
#include <limits>

#include "manifest/field_table.hpp"
#include "manifest/yaml_scalar.hpp"

namespace skiff::manifest {

void type_error(Diagnostics& diags, const FieldPath& path, const nlohmann::json& v, std::string_view want) {
  std::string got = v.is_string()    ? "a string"
                    : v.is_boolean() ? "a boolean"
                    : v.is_number()  ? "a number"
                    : v.is_array()   ? "a list"
                    : v.is_object()  ? "an object"
                                     : "null";
  std::string m = "Invalid value: " + quote_value(v) + ": must be " + std::string(want) + ", not " + got;
  if (want == "a string" && v.is_boolean())
    m += " (YAML reads an unquoted true/false/yes/no/on/off as a boolean: quote it)";
  else if (want == "a string" && v.is_number())
    m += " (YAML reads an unquoted number as a number: quote it)";
  diags.error(path, std::move(m));
}

void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, std::string& out) {
  if (!v.is_string()) return type_error(d, p, v, "a string");
  out = v.get<std::string>();
}

void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, bool& out) {
  if (!v.is_boolean()) return type_error(d, p, v, "a boolean");
  out = v.get<bool>();
}

namespace {

// An integer field takes JSON integers and floats without a fraction (YAML's 1e3), within range.
template <typename I>
void decode_integer(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, I& out, const char* what) {
  constexpr auto lo = std::numeric_limits<I>::min();
  constexpr auto hi = std::numeric_limits<I>::max();
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > static_cast<uint64_t>(hi))
      return d.invalid(p, v, std::string("out of range for ") + what);
    out = static_cast<I>(v.get<uint64_t>());
  } else if (v.is_number_integer()) {
    int64_t x = v.get<int64_t>();
    if (x < lo || x > hi) return d.invalid(p, v, std::string("out of range for ") + what);
    out = static_cast<I>(x);
  } else if (v.is_number_float()) {
    double x = v.get<double>();
    if (x != std::floor(x)) return d.invalid(p, v, "must be a whole number");
    if (x < static_cast<double>(lo) || x >= -static_cast<double>(lo))
      return d.invalid(p, v, std::string("out of range for ") + what);
    out = static_cast<I>(x);
  } else {
    type_error(d, p, v, "an integer");
  }
}

}  // namespace

void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, int32_t& out) {
  decode_integer(v, p, d, out, "a 32-bit integer");
}

void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, int64_t& out) {
  decode_integer(v, p, d, out, "a 64-bit integer");
}

void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, Quantity& out) {
  std::string text;
  if (v.is_string()) {
    text = v.get<std::string>();
    // Quantity.UnmarshalJSON trims spaces
    size_t a = text.find_first_not_of(" \t\r\n"), b = text.find_last_not_of(" \t\r\n");
    text = a == std::string::npos ? "" : text.substr(a, b - a + 1);
  } else if (v.is_number()) {
    text = number_text(v);
  } else {
    return type_error(d, p, v, "a quantity (a string or a number)");
  }
  std::string err;
  auto q = Quantity::parse(text, &err);
  if (!q) return d.invalid(p, v, err);
  out = *q;
}

void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, IntOrString& out) {
  if (v.is_string()) {
    out = IntOrString::from_string(v.get<std::string>());
  } else if (v.is_number()) {
    int32_t i = 0;
    decode_value(v, p, d, i);
    out = IntOrString::from_int(i);
  } else {
    type_error(d, p, v, "an integer or a string");
  }
}

void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, Time& out) {
  if (!v.is_string()) return type_error(d, p, v, "an RFC 3339 time string");
  out.rfc3339 = v.get<std::string>();
}

void decode_value(const nlohmann::json& v, const FieldPath&, Diagnostics&, nlohmann::json& out) {
  out = v;
}

void Decoder::finish() {
  for (auto& [key, value] : obj_.items()) {
    bool known = false;
    for (std::string_view s : seen_)
      if (s == key) known = true;
    if (known) continue;
    FieldPath p = path_.child(key);
    const FieldRule* rule = find_field_rule(type_, key);
    if (!rule) {
      diags_.error(p, "unknown field \"" + key + "\"", true);
    } else if (rule->disposition == FieldDisposition::unsupported) {
      diags_.error(p, std::string(rule->message), true);
    } else {
      diags_.warning(p, std::string(rule->message));
      if (ignored_) ignored_->fields[key] = value;
    }
  }
}

}  // namespace skiff::manifest
