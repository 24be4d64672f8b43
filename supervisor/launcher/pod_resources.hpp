// A Pod container's resources as the kubelet turns them into the runtime's (kuberuntime
// calculateLinuxResources, qos.GetContainerOOMScoreAdjust): CPU shares from the request (the limit when
// no request is given; 2 at least, 262144 at most), a CFS quota from the CPU limit over a 100 ms period
// (1 ms at least), the memory limit in bytes, and the OOM score adjustment of the pod's QoS class.
#pragma once

#include <cstdint>

#include "launcher/container_description.hpp"
#include "manifest/types_pod.hpp"

namespace skiff::launcher {

constexpr uint64_t kMinShares = 2, kMaxShares = 262144, kSharesPerCpu = 1024;
constexpr int64_t kCfsPeriodUs = 100000, kMinQuotaUs = 1000;

uint64_t milli_cpu_to_shares(int64_t milli_cpu);
int64_t milli_cpu_to_quota(int64_t milli_cpu, int64_t period_us);  // 0: no quota

ResourceLimits container_resources(const manifest::Container& c);

// Guaranteed -997, BestEffort 1000, Burstable 1000 - 1000 * memory request / capacity within [3, 999].
int container_oom_score_adj(const manifest::Pod& pod, const manifest::Container& c, int64_t memory_capacity);

}  // namespace skiff::launcher
