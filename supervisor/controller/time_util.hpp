// metav1.Time as controllers use it: manifest::Time (RFC 3339 text) to and from a wall-clock time point.
// Kubernetes serialises times with second precision, so what a controller writes compares equal to what
// it reads back from the store.
#pragma once

#include <chrono>
#include <optional>

#include "manifest/codec_fwd.hpp"

namespace skiff::controller {

using WallTime = std::chrono::system_clock::time_point;

// nullopt for an empty or malformed time (Kubernetes' IsZero()).
std::optional<WallTime> parse_time(const manifest::Time& t);
// "2026-12-01T21:34:30Z": UTC, truncated to the second, as metav1.Time marshals.
manifest::Time to_time(WallTime t);

}  // namespace skiff::controller
