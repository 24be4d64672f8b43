// intstr.IntOrString (`targetPort: 8080` or `targetPort: http`; `maxSurge: 1` or `maxSurge: 25%`) and the
// percent scaling that rolling updates use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace skiff::manifest {

struct IntOrString {
  bool is_string = false;
  int32_t int_value = 0;
  std::string str_value;

  static IntOrString from_int(int32_t v) { return {false, v, {}}; }
  static IntOrString from_string(std::string s) { return {true, 0, std::move(s)}; }
  nlohmann::json to_json() const { return is_string ? nlohmann::json(str_value) : nlohmann::json(int_value); }
  bool is_zero() const { return is_string ? str_value.empty() : int_value == 0; }
  friend bool operator==(const IntOrString&, const IntOrString&) = default;
};

// intstr.GetScaledValueFromIntOrPercent: an int as it is; "N%" as N percent of `total`, rounded up or
// down. Any other string is an error (the message is Kubernetes').
struct ScaledValue {
  int64_t value = 0;
  std::string error;
};
ScaledValue get_scaled_value_from_int_or_percent(const IntOrString& v, int64_t total, bool round_up);

}  // namespace skiff::manifest
