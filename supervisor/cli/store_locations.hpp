// Where `skiff`'s commands find the image store and the runtime's state (shared by the command files).
#pragma once

#include <cstdlib>
#include <string>

#include "state.hpp"
#include "store_paths.hpp"

namespace skiff::cli {

inline image::StorePaths image_store() {
  return image::StorePaths{image::StorePaths::default_root()};
}

// The runtime's state root: skiff-runtime's default, so both see the same containers;
// $SKIFF_RUNTIME_ROOT moves it (tests).
inline std::string runtime_root() {
  const char* r = std::getenv("SKIFF_RUNTIME_ROOT");
  return r && *r ? r : skiff::default_state_root();
}

}  // namespace skiff::cli
