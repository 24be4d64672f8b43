// A small worker pool for the store's per-layer work (download + extract in a pull, extract in a
// load): the same loop both need, in one place.
#pragma once

#include <cstddef>
#include <functional>

namespace skiff::image {

// Calls fn(i) for every i in [0, n) on up to `jobs` threads (at least one, at most n). After the
// first exception no new index starts; once the running ones finish, that exception is rethrown.
void for_each_index_parallel(size_t n, unsigned jobs, const std::function<void(size_t)>& fn);

}  // namespace skiff::image
