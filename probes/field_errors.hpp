// The API server's field error lines (k8s.io/apimachinery/pkg/util/validation/field), so a user reads
// the message kubectl would have shown:
//   <path>: Invalid value: <value>: <detail>
//   <path>: Required value[: <detail>]
//   <path>: Forbidden: <detail>
//   <path>: Unsupported value: "<v>": supported values: "A", "B"
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace skiff::probes::field {

// The value as Go's %#v shows it for the JSON types: strings quoted, numbers bare, objects in JSON.
inline std::string value_text(const nlohmann::json& v) {
  return v.dump();
}

inline std::string invalid(const std::string& path, const nlohmann::json& value, const std::string& detail) {
  return path + ": Invalid value: " + value_text(value) + ": " + detail;
}

inline std::string required(const std::string& path, const std::string& detail) {
  return path + ": Required value" + (detail.empty() ? "" : ": " + detail);
}

inline std::string forbidden(const std::string& path, const std::string& detail) {
  return path + ": Forbidden: " + detail;
}

inline std::string not_supported(const std::string& path, const std::string& value,
                                 const std::vector<std::string>& supported) {
  std::string s = path + ": Unsupported value: " + nlohmann::json(value).dump() + ": supported values: ";
  for (size_t i = 0; i < supported.size(); ++i) s += (i ? ", " : "") + nlohmann::json(supported[i]).dump();
  return s;
}

}  // namespace skiff::probes::field
