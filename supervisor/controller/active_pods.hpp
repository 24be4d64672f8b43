// Which pods a ReplicaSet deletes first when it scales down: controller.ActivePodsWithRanks's order
// (pkg/controller/controller_utils.go), with LogarithmicScaleDown on, as it is by default:
//   1. unassigned < assigned
//   2. Pending < Unknown < Running (any other phase counts as Pending)
//   3. not ready < ready
//   4. lower controller.kubernetes.io/pod-deletion-cost < higher
//   5. higher rank (more active pods of the same owner on its node) < lower
//   6. both ready: ready for a shorter time < longer (log2 buckets of the time since; same bucket: by uid)
//   7. more restarts (the container that restarted most) < fewer
//   8. newer < older (log2 buckets, then uid); an empty creation time first
#pragma once

#include <cstddef>
#include <vector>

#include "controller/object_cache.hpp"
#include "controller/time_util.hpp"

namespace skiff::controller {

// True when `a` (with rank `rank_a`) should be deleted before `b`.
bool delete_before(const manifest::Pod& a, int rank_a, const manifest::Pod& b, int rank_b, WallTime now);

// getPodsToDelete: the first `diff` of `filtered` in the order above, each ranked by how many active pods
// of `related` (every pod of the owner's ReplicaSets) share its node. All of them when diff >= size.
std::vector<Ptr<manifest::Pod>> pods_to_delete(std::vector<Ptr<manifest::Pod>> filtered,
                                               const std::vector<Ptr<manifest::Pod>>& related, size_t diff,
                                               WallTime now);

}  // namespace skiff::controller
