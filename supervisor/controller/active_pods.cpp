#include "controller/active_pods.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "controller/pod_util.hpp"

namespace skiff::controller {
namespace {

int phase_ordinal(const std::string& phase) {
  if (phase == "Unknown") return 1;
  if (phase == "Running") return 2;
  return 0;  // Pending, and phases the map does not list
}

// helper.GetDeletionCostFromPodAnnotations: an int32, 0 when absent or unparsable.
int64_t deletion_cost(const manifest::Pod& p) {
  auto it = p.metadata.annotations.find("controller.kubernetes.io/pod-deletion-cost");
  if (it == p.metadata.annotations.end()) return 0;
  try {
    size_t used = 0;
    long long v = std::stoll(it->second, &used);
    if (used != it->second.size() || v < INT32_MIN || v > INT32_MAX) return 0;
    return v;
  } catch (const std::exception&) {
    return 0;
  }
}

std::optional<WallTime> ready_time(const manifest::Pod& p) {
  const auto* c = pod_condition(p, "Ready");
  if (!c || c->status != "True") return std::nullopt;
  return parse_time(c->last_transition_time);
}

// afterOrZero: an empty time comes first, then the later one.
bool after_or_zero(const std::optional<WallTime>& a, const std::optional<WallTime>& b) {
  if (!a || !b) return !a;
  return *a > *b;
}

int64_t log_rank(WallTime t, WallTime now) {
  auto d = std::chrono::duration_cast<std::chrono::nanoseconds>(now - t).count();
  return d > 0 ? static_cast<int64_t>(std::log2(static_cast<double>(d))) : -1;
}

// Rules 6 and 8: newer first, in logarithmic buckets of age so that equal pods are spread by uid.
std::optional<bool> compare_times(const std::optional<WallTime>& a, const std::optional<WallTime>& b,
                                  const manifest::Pod& pa, const manifest::Pod& pb, WallTime now) {
  if (a == b) return std::nullopt;
  if (!a || !b) return after_or_zero(a, b);
  int64_t diff = log_rank(*a, now) - log_rank(*b, now);
  if (diff == 0) return pa.metadata.uid < pb.metadata.uid;
  return diff < 0;
}

}  // namespace

bool delete_before(const manifest::Pod& a, int rank_a, const manifest::Pod& b, int rank_b, WallTime now) {
  const std::string &na = a.spec.node_name, &nb = b.spec.node_name;
  if (na != nb && (na.empty() || nb.empty())) return na.empty();
  int oa = phase_ordinal(a.status.phase), ob = phase_ordinal(b.status.phase);
  if (oa != ob) return oa < ob;
  bool ra = is_pod_ready(a), rb = is_pod_ready(b);
  if (ra != rb) return !ra;
  int64_t ca = deletion_cost(a), cb = deletion_cost(b);
  if (ca != cb) return ca < cb;
  if (rank_a != rank_b) return rank_a > rank_b;
  if (ra && rb) {
    if (auto r = compare_times(ready_time(a), ready_time(b), a, b, now)) return *r;
  }
  int32_t xa = max_container_restarts(a), xb = max_container_restarts(b);
  if (xa != xb) return xa > xb;
  if (auto r = compare_times(parse_time(a.metadata.creation_timestamp),
                             parse_time(b.metadata.creation_timestamp), a, b, now))
    return *r;
  return false;
}

std::vector<Ptr<manifest::Pod>> pods_to_delete(std::vector<Ptr<manifest::Pod>> filtered,
                                               const std::vector<Ptr<manifest::Pod>>& related, size_t diff,
                                               WallTime now) {
  if (diff < filtered.size()) {
    std::map<std::string, int> on_node;
    for (const auto& p : related)
      if (is_pod_active(*p)) ++on_node[p->spec.node_name];
    std::vector<int> ranks(filtered.size());
    for (size_t i = 0; i < filtered.size(); ++i) ranks[i] = on_node[filtered[i]->spec.node_name];
    std::vector<size_t> order(filtered.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) {
      return delete_before(*filtered[i], ranks[i], *filtered[j], ranks[j], now);
    });
    std::vector<Ptr<manifest::Pod>> sorted;
    for (size_t i : order) sorted.push_back(filtered[i]);
    filtered = std::move(sorted);
  }
  if (filtered.size() > diff) filtered.resize(diff);
  return filtered;
}

}  // namespace skiff::controller
