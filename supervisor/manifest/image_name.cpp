#include "manifest/image_name.hpp"

namespace skiff::manifest {

bool image_tag_is_latest(std::string_view image) {
  size_t at = image.find('@');
  bool digest = at != std::string_view::npos;
  std::string_view name = digest ? image.substr(0, at) : image;
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  bool tagged = colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash);
  if (tagged) return name.substr(colon + 1) == "latest";
  return !digest;
}

}  // namespace skiff::manifest
