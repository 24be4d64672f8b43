// The kind and apiVersion of a manifest type, from the manifest layer's own table.
#pragma once

#include <string>

#include "manifest/object.hpp"

namespace skiff::controller {

template <typename T>
const std::string& kind_name() {
  static const std::string kind(manifest::kind_of(manifest::Object(std::in_place_type<T>)));
  return kind;
}
template <typename T>
const std::string& api_version_name() {
  static const std::string api(manifest::api_version_of(manifest::Object(std::in_place_type<T>)));
  return api;
}

}  // namespace skiff::controller
