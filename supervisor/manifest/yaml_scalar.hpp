// YAML 1.1 scalars as `kubectl apply` reads them: sigs.k8s.io/yaml turns YAML into JSON through go-yaml
// v2, whose resolver makes `yes`/`on`/`y` booleans, `0644` octal (420), `0x1F` hex, `1_000` 1000 and
// `1e3` a float; quoted scalars stay strings. Floats then take encoding/json's text form.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace skiff::manifest {

struct ResolvedScalar {
  nlohmann::json value;
  std::string error;  // set when the scalar has no JSON form (.inf, .nan)
};

// The value go-yaml v2 gives an untagged plain scalar.
ResolvedScalar resolve_plain_scalar(std::string_view text);

// How encoding/json prints a float64 (shortest form; exponent only below 1e-6 or from 1e21 on).
std::string go_json_float(double v);
// How sigs.k8s.io/yaml turns a float map key into a string (strconv.FormatFloat(v, 'g', -1, 32)).
std::string go_float_key(double v);
// A JSON number's text as Go's JSON encoder would have written it (integers as they are).
std::string number_text(const nlohmann::json& number);

}  // namespace skiff::manifest
