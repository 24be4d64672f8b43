// Kubernetes' name and value rules (k8s.io/apimachinery/pkg/util/validation), each returning its
// messages word for word (empty when the value is valid).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace skiff::manifest {

using Messages = std::vector<std::string>;

Messages is_dns1123_label(std::string_view v);
Messages is_dns1123_subdomain(std::string_view v);
Messages is_dns1035_label(std::string_view v);
Messages is_qualified_name(std::string_view v);  // label and annotation keys
Messages is_label_value(std::string_view v);
Messages is_valid_port_name(std::string_view v);  // IANA_SVC_NAME
Messages is_valid_port_num(int64_t port);
Messages is_env_var_name(std::string_view v);  // the relaxed rule, Kubernetes' default since 1.32
Messages is_config_map_key(std::string_view v);
// A relative path without `..` elements (subPath, volume item paths). Empty when valid.
Messages is_relative_clean_path(std::string_view v);

std::string max_len_error(size_t n);
std::string inclusive_range_error(int64_t lo, int64_t hi);

}  // namespace skiff::manifest
