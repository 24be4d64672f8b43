// Standard base64 as Go's encoding/json reads and writes []byte: padding required, CR and LF skipped,
// errors naming the offending input byte ("illegal base64 data at input byte 4") as Kubernetes reports.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace skiff::manifest {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text, std::string* error = nullptr);

}  // namespace skiff::manifest
