// JSON -> YAML as `kubectl get -o yaml` prints it (sigs.k8s.io/yaml through go-yaml v2): block style,
// keys sorted, lists at their key's indentation, strings quoted only where YAML would read them as
// something else ("true", "8080", timestamps), multi-line strings as literal blocks.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace skiff::manifest {

std::string to_yaml(const nlohmann::json& value);

}  // namespace skiff::manifest
