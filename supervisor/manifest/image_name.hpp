// What Kubernetes' defaulting reads from an image reference (pkg/util/parsers.ParseImageName).
#pragma once

#include <string_view>

namespace skiff::manifest {

// True when the reference's tag is `latest`, or it has neither a tag nor a digest (which means latest):
// such containers default to imagePullPolicy Always, others to IfNotPresent.
bool image_tag_is_latest(std::string_view image);

}  // namespace skiff::manifest
