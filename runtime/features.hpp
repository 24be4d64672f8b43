// `skiff-runtime features`: the runtime-spec features document, truthful: only what works.
#pragma once

#include <string>

namespace skiff {
std::string features_json();
}
