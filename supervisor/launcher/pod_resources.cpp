#include "launcher/pod_resources.hpp"

#include "manifest/qos.hpp"

namespace skiff::launcher {

namespace {
constexpr int kGuaranteedOomScoreAdj = -997, kBestEffortOomScoreAdj = 1000;
}

uint64_t milli_cpu_to_shares(int64_t milli_cpu) {
  if (milli_cpu <= 0) return kMinShares;
  auto shares = static_cast<uint64_t>(milli_cpu) * kSharesPerCpu / 1000;
  if (shares < kMinShares) return kMinShares;
  if (shares > kMaxShares) return kMaxShares;
  return shares;
}

int64_t milli_cpu_to_quota(int64_t milli_cpu, int64_t period_us) {
  if (milli_cpu <= 0) return 0;
  int64_t quota = milli_cpu * period_us / 1000;
  return quota < kMinQuotaUs ? kMinQuotaUs : quota;
}

ResourceLimits container_resources(const manifest::Container& c) {
  ResourceLimits r;
  auto request = c.resources.requests.find("cpu");
  auto limit = c.resources.limits.find("cpu");
  int64_t limit_milli = limit == c.resources.limits.end() ? 0 : limit->second.milli_value();
  // No request: the request defaults to the limit (the kubelet's own fallback to the API's default).
  int64_t shares_from = request != c.resources.requests.end() ? request->second.milli_value() : limit_milli;
  r.cpu_shares = milli_cpu_to_shares(shares_from);
  if (int64_t quota = milli_cpu_to_quota(limit_milli, kCfsPeriodUs); quota > 0) {
    r.cpu_quota = quota;
    r.cpu_period = kCfsPeriodUs;
  }
  if (auto mem = c.resources.limits.find("memory");
      mem != c.resources.limits.end() && mem->second.value() != 0)
    r.memory_limit = mem->second.value();
  return r;
}

int container_oom_score_adj(const manifest::Pod& pod, const manifest::Container& c, int64_t memory_capacity) {
  std::string qos = manifest::pod_qos_class(pod.spec);
  if (qos == "Guaranteed") return kGuaranteedOomScoreAdj;
  if (qos == "BestEffort" || memory_capacity <= 0) return kBestEffortOomScoreAdj;
  auto req = c.resources.requests.find("memory");
  int64_t request = req == c.resources.requests.end() ? 0 : req->second.value();
  int64_t adj = 1000 - (1000 * static_cast<__int128>(request)) / memory_capacity;
  if (adj < 1000 + kGuaranteedOomScoreAdj) return 1000 + kGuaranteedOomScoreAdj;
  if (adj == kBestEffortOomScoreAdj) return static_cast<int>(adj - 1);
  return static_cast<int>(adj);
}

}  // namespace skiff::launcher
