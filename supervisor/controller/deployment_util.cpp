#include "controller/deployment_util.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>

#include "controller/pod_util.hpp"
#include "error.hpp"

namespace skiff::controller {
namespace {

using manifest::Deployment;
using manifest::ReplicaSet;

std::optional<int64_t> parse_int(const std::string& s) {
  int64_t v = 0;
  std::string_view p = s;
  if (!p.empty() && p[0] == '+') p.remove_prefix(1);
  auto r = std::from_chars(p.data(), p.data() + p.size(), v);
  if (p.empty() || r.ec != std::errc() || r.ptr != p.data() + p.size()) return std::nullopt;
  return v;
}

std::optional<int32_t> int_annotation(const ReplicaSet& rs, std::string_view key) {
  auto it = rs.metadata.annotations.find(std::string(key));
  if (it == rs.metadata.annotations.end()) return std::nullopt;
  auto v = parse_int(it->second);
  if (!v || *v < INT32_MIN || *v > INT32_MAX) return std::nullopt;
  return static_cast<int32_t>(*v);
}

bool skip_copy_annotation(const std::string& key) {
  return key == kLastAppliedAnnotation || key == kRevisionAnnotation || key == kRevisionHistoryAnnotation ||
         key == kDesiredReplicasAnnotation || key == kMaxReplicasAnnotation || key == kRollbackToAnnotation;
}

bool copy_deployment_annotations_to_replica_set(const Deployment& d, ReplicaSet& rs) {
  bool changed = false;
  for (const auto& [k, v] : d.metadata.annotations) {
    if (skip_copy_annotation(k)) continue;
    auto it = rs.metadata.annotations.find(k);
    if (it != rs.metadata.annotations.end() && it->second == v) continue;
    rs.metadata.annotations[k] = v;
    changed = true;
  }
  return changed;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

std::string join_commas(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "," : "") + parts[i];
  return out;
}

}  // namespace

int32_t replicas_of(const Deployment& d) {
  return d.spec.replicas.value_or(1);
}
int32_t replicas_of(const ReplicaSet& rs) {
  return rs.spec.replicas.value_or(1);
}

manifest::Condition new_deployment_condition(std::string_view type, std::string_view status,
                                             std::string_view reason, std::string message, WallTime now) {
  manifest::Condition c;
  c.type = type;
  c.status = status;
  c.last_update_time = to_time(now);
  c.last_transition_time = to_time(now);
  c.reason = reason;
  c.message = std::move(message);
  return c;
}

const manifest::Condition* deployment_condition(const manifest::DeploymentStatus& s, std::string_view type) {
  for (const auto& c : s.conditions)
    if (c.type == type) return &c;
  return nullptr;
}

void set_deployment_condition(manifest::DeploymentStatus& s, manifest::Condition c) {
  const auto* cur = deployment_condition(s, c.type);
  if (cur && cur->status == c.status && cur->reason == c.reason) return;
  if (cur && cur->status == c.status) c.last_transition_time = cur->last_transition_time;
  remove_deployment_condition(s, c.type);
  s.conditions.push_back(std::move(c));
}

void remove_deployment_condition(manifest::DeploymentStatus& s, std::string_view type) {
  std::erase_if(s.conditions, [&](const manifest::Condition& c) { return c.type == type; });
}

manifest::Condition replica_set_to_deployment_condition(const manifest::Condition& c) {
  manifest::Condition d = c;
  d.last_update_time = c.last_transition_time;
  return d;
}

std::optional<int64_t> revision_of(const manifest::ObjectMeta& m) {
  auto it = m.annotations.find(std::string(kRevisionAnnotation));
  if (it == m.annotations.end()) return 0;
  return parse_int(it->second);
}

int64_t max_revision(const RSList& rss) {
  int64_t max = 0;
  for (const auto& rs : rss)
    if (rs)
      if (auto v = revision_of(rs->metadata); v && *v > max) max = *v;
  return max;
}

int64_t last_revision(const RSList& rss) {
  int64_t max = 0, second = 0;
  for (const auto& rs : rss) {
    if (!rs) continue;
    auto v = revision_of(rs->metadata);
    if (!v) continue;
    if (*v >= max) {
      second = max;
      max = *v;
    } else if (*v > second) {
      second = *v;
    }
  }
  return second;
}

bool set_deployment_revision(Deployment& d, const std::string& revision) {
  auto& a = d.metadata.annotations[std::string(kRevisionAnnotation)];
  if (a == revision) return false;
  a = revision;
  return true;
}

bool set_new_replica_set_annotations(const Deployment& d, ReplicaSet& rs, const std::string& new_revision,
                                     bool exists, size_t limit) {
  bool changed = copy_deployment_annotations_to_replica_set(d, rs);
  auto& ann = rs.metadata.annotations;
  auto it = ann.find(std::string(kRevisionAnnotation));
  bool had_revision = it != ann.end();
  std::string old_revision = had_revision ? it->second : std::string();
  int64_t old_int = 0;
  if (!old_revision.empty()) {
    auto v = parse_int(old_revision);
    if (!v) return false;  // an annotation that is no number is not ours to fix
    old_int = *v;
  }
  auto new_int = parse_int(new_revision);
  if (!new_int) return false;
  if (old_int < *new_int) {
    ann[std::string(kRevisionAnnotation)] = new_revision;
    changed = true;
  }
  // A ReplicaSet that had a revision and gets a newer one is being rolled back to: keep its history.
  if (had_revision && old_int < *new_int) {
    std::string history = ann[std::string(kRevisionHistoryAnnotation)];
    auto old_revisions = split_commas(history);
    if (old_revisions[0].empty()) {
      ann[std::string(kRevisionHistoryAnnotation)] = old_revision;
    } else {
      size_t total = history.size() + old_revision.size() + 1;
      size_t start = 0;
      while (total > limit && start < old_revisions.size()) {
        total -= old_revisions[start].size() + 1;
        ++start;
      }
      if (total <= limit) {
        std::vector<std::string> kept(old_revisions.begin() + static_cast<long>(start), old_revisions.end());
        kept.push_back(old_revision);
        ann[std::string(kRevisionHistoryAnnotation)] = join_commas(kept);
      }
    }
  }
  if (!exists && set_replicas_annotations(rs, replicas_of(d), replicas_of(d) + max_surge(d))) changed = true;
  return changed;
}

void set_deployment_annotations_to(Deployment& d, const ReplicaSet& rs) {
  manifest::LabelMap kept;
  for (const auto& [k, v] : d.metadata.annotations)
    if (skip_copy_annotation(k)) kept[k] = v;
  for (const auto& [k, v] : rs.metadata.annotations)
    if (!skip_copy_annotation(k)) kept[k] = v;
  d.metadata.annotations = std::move(kept);
}

std::optional<int32_t> desired_replicas_annotation(const ReplicaSet& rs) {
  return int_annotation(rs, kDesiredReplicasAnnotation);
}
std::optional<int32_t> max_replicas_annotation(const ReplicaSet& rs) {
  return int_annotation(rs, kMaxReplicasAnnotation);
}

bool set_replicas_annotations(ReplicaSet& rs, int32_t desired, int32_t max) {
  bool updated = false;
  auto& ann = rs.metadata.annotations;
  for (auto [key, value] :
       {std::pair{kDesiredReplicasAnnotation, desired}, std::pair{kMaxReplicasAnnotation, max}}) {
    std::string s = std::to_string(value);
    auto& slot = ann[std::string(key)];
    if (slot != s) {
      slot = s;
      updated = true;
    }
  }
  return updated;
}

bool replicas_annotations_need_update(const ReplicaSet& rs, int32_t desired, int32_t max) {
  const auto& ann = rs.metadata.annotations;
  auto differs = [&](std::string_view key, int32_t value) {
    auto it = ann.find(std::string(key));
    return it == ann.end() || it->second != std::to_string(value);
  };
  return differs(kDesiredReplicasAnnotation, desired) || differs(kMaxReplicasAnnotation, max);
}

bool is_rolling_update(const Deployment& d) {
  return d.spec.strategy.type == "RollingUpdate";
}

std::pair<int32_t, int32_t> resolve_fenceposts(const std::optional<manifest::IntOrString>& max_surge,
                                               const std::optional<manifest::IntOrString>& max_unavailable,
                                               int32_t desired) {
  auto zero = manifest::IntOrString::from_int(0);
  auto surge = manifest::get_scaled_value_from_int_or_percent(max_surge.value_or(zero), desired, true);
  if (!surge.error.empty()) throw Error(0, surge.error);
  auto unavailable =
      manifest::get_scaled_value_from_int_or_percent(max_unavailable.value_or(zero), desired, false);
  if (!unavailable.error.empty()) throw Error(0, unavailable.error);
  // Both can resolve to zero by rounding down (validation refuses explicit zeros for both): then one
  // pod may be unavailable, on the theory that a surge may not fit.
  if (surge.value == 0 && unavailable.value == 0) unavailable.value = 1;
  return {static_cast<int32_t>(surge.value), static_cast<int32_t>(unavailable.value)};
}

int32_t max_unavailable(const Deployment& d) {
  if (!is_rolling_update(d) || replicas_of(d) == 0) return 0;
  const auto& ru = d.spec.strategy.rolling_update;
  auto [surge, unavailable] = resolve_fenceposts(ru ? ru->max_surge : std::nullopt,
                                                 ru ? ru->max_unavailable : std::nullopt, replicas_of(d));
  return std::min(unavailable, replicas_of(d));
}

int32_t max_surge(const Deployment& d) {
  if (!is_rolling_update(d)) return 0;
  const auto& ru = d.spec.strategy.rolling_update;
  return resolve_fenceposts(ru ? ru->max_surge : std::nullopt, ru ? ru->max_unavailable : std::nullopt,
                            replicas_of(d))
      .first;
}

namespace {

// getReplicaSetFraction: this ReplicaSet's share of the Deployment's new size, minus its current size.
int32_t replica_set_fraction(const ReplicaSet& rs, const Deployment& d) {
  if (replicas_of(d) == 0) return -replicas_of(rs);
  int32_t deployment_replicas = replicas_of(d) + max_surge(d);
  // Without the annotation, the Deployment's current size stands in (min/max in get_proportion keep it
  // within limits).
  int32_t annotated = max_replicas_annotation(rs).value_or(d.status.replicas);
  if (annotated == 0) return 0;
  double new_size = static_cast<double>(replicas_of(rs)) * deployment_replicas / annotated;
  return static_cast<int32_t>(std::round(new_size)) - replicas_of(rs);
}

}  // namespace

int32_t get_proportion(const ReplicaSet* rs, const Deployment& d, int32_t to_add, int32_t added) {
  if (!rs || replicas_of(*rs) == 0 || to_add == 0 || to_add == added) return 0;
  int32_t fraction = replica_set_fraction(*rs, d);
  int32_t allowed = to_add - added;
  return to_add > 0 ? std::min(fraction, allowed) : std::max(fraction, allowed);
}

int32_t new_rs_new_replicas(const Deployment& d, const RSList& all, const ReplicaSet& new_rs) {
  if (d.spec.strategy.type == "RollingUpdate") {
    const auto& ru = d.spec.strategy.rolling_update;
    auto surge = manifest::get_scaled_value_from_int_or_percent(
        ru && ru->max_surge ? *ru->max_surge : manifest::IntOrString::from_int(0), replicas_of(d), true);
    if (!surge.error.empty()) throw Error(0, surge.error);
    int32_t current = replica_count(all);
    int32_t max_total = replicas_of(d) + static_cast<int32_t>(surge.value);
    if (current >= max_total) return replicas_of(new_rs);
    int32_t scale_up = std::min(max_total - current, replicas_of(d) - replicas_of(new_rs));
    return replicas_of(new_rs) + scale_up;
  }
  if (d.spec.strategy.type == "Recreate") return replicas_of(d);
  throw Error(0, "deployment type " + d.spec.strategy.type + " isn't supported");
}

bool is_saturated(const Deployment& d, const ReplicaSet* rs) {
  if (!rs) return false;
  auto desired = desired_replicas_annotation(*rs);
  if (!desired) return false;
  return replicas_of(*rs) == replicas_of(d) && *desired == replicas_of(d) &&
         rs->status.available_replicas == replicas_of(d);
}

bool has_progress_deadline(const Deployment& d) {
  return d.spec.progress_deadline_seconds && *d.spec.progress_deadline_seconds != INT32_MAX;
}

bool has_revision_history_limit(const Deployment& d) {
  return d.spec.revision_history_limit && *d.spec.revision_history_limit != INT32_MAX;
}

bool equal_ignore_hash(const manifest::PodTemplateSpec& a, const manifest::PodTemplateSpec& b) {
  manifest::PodTemplateSpec x = a, y = b;
  x.metadata.labels.erase(std::string(kPodTemplateHashLabel));
  y.metadata.labels.erase(std::string(kPodTemplateHashLabel));
  return x == y;
}

RSPtr find_new_replica_set(const Deployment& d, RSList& rss) {
  sort_by_creation(rss);
  // Should more than one match (it happened after upgrades upstream), the oldest is the new one.
  for (const auto& rs : rss)
    if (equal_ignore_hash(rs->spec.template_, d.spec.template_)) return rs;
  return nullptr;
}

std::pair<RSList, RSList> find_old_replica_sets(const Deployment& d, RSList& rss) {
  RSList with_replicas, all;
  RSPtr new_rs = find_new_replica_set(d, rss);
  for (const auto& rs : rss) {
    if (new_rs && rs->metadata.uid == new_rs->metadata.uid) continue;
    all.push_back(rs);
    if (replicas_of(*rs) != 0) with_replicas.push_back(rs);
  }
  return {with_replicas, all};
}

RSPtr find_active_or_latest(const RSPtr& new_rs, RSList old_rss) {
  if (!new_rs && old_rss.empty()) return nullptr;
  sort_by_creation(old_rss);
  std::reverse(old_rss.begin(), old_rss.end());
  RSList candidates = old_rss;
  candidates.push_back(new_rs);
  RSList active = filter_active(candidates);
  if (active.empty()) return new_rs ? new_rs : old_rss.front();
  if (active.size() == 1) return active.front();
  return nullptr;
}

void set_from_replica_set_template(Deployment& d, const manifest::PodTemplateSpec& tmpl) {
  d.spec.template_ = tmpl;
  d.spec.template_.metadata.labels.erase(std::string(kPodTemplateHashLabel));
}

RSList filter_active(const RSList& rss) {
  RSList out;
  for (const auto& rs : rss)
    if (rs && replicas_of(*rs) > 0) out.push_back(rs);
  return out;
}

int32_t replica_count(const RSList& rss) {
  int32_t n = 0;
  for (const auto& rs : rss)
    if (rs) n += replicas_of(*rs);
  return n;
}
int32_t actual_replica_count(const RSList& rss) {
  int32_t n = 0;
  for (const auto& rs : rss)
    if (rs) n += rs->status.replicas;
  return n;
}
int32_t ready_replica_count(const RSList& rss) {
  int32_t n = 0;
  for (const auto& rs : rss)
    if (rs) n += rs->status.ready_replicas;
  return n;
}
int32_t available_replica_count(const RSList& rss) {
  int32_t n = 0;
  for (const auto& rs : rss)
    if (rs) n += rs->status.available_replicas;
  return n;
}

bool deployment_complete(const Deployment& d, const manifest::DeploymentStatus& s) {
  int32_t want = replicas_of(d);
  return s.updated_replicas == want && s.replicas == want && s.available_replicas == want &&
         s.observed_generation >= d.metadata.generation;
}

bool deployment_progressing(const Deployment& d, const manifest::DeploymentStatus& s) {
  const auto& old = d.status;
  int32_t old_old = old.replicas - old.updated_replicas;
  int32_t new_old = s.replicas - s.updated_replicas;
  return s.updated_replicas > old.updated_replicas || new_old < old_old ||
         s.available_replicas > old.available_replicas;
}

bool deployment_timed_out(const Deployment& d, const manifest::DeploymentStatus& s, WallTime now) {
  if (!has_progress_deadline(d)) return false;
  const auto* c = deployment_condition(s, "Progressing");
  if (!c) return false;
  if (c->reason == kTimedOutReason) return true;
  // The last time progress was seen (or a ReplicaSet was created, or the Deployment resumed).
  auto from = c->last_update_time ? parse_time(*c->last_update_time) : std::nullopt;
  WallTime base = from.value_or(WallTime{});
  return base + std::chrono::seconds(*d.spec.progress_deadline_seconds) < now;
}

bool created_before(const ReplicaSet& a, const ReplicaSet& b) {
  auto ta = parse_time(a.metadata.creation_timestamp), tb = parse_time(b.metadata.creation_timestamp);
  if (ta == tb) return a.metadata.name < b.metadata.name;
  return ta < tb;  // an empty time (nullopt) sorts first, as the zero time does
}

void sort_by_creation(RSList& rss) {
  std::stable_sort(rss.begin(), rss.end(),
                   [](const RSPtr& a, const RSPtr& b) { return created_before(*a, *b); });
}

void sort_by_size_newer(RSList& rss) {
  std::stable_sort(rss.begin(), rss.end(), [](const RSPtr& a, const RSPtr& b) {
    if (replicas_of(*a) == replicas_of(*b)) return created_before(*b, *a);
    return replicas_of(*a) > replicas_of(*b);
  });
}

void sort_by_size_older(RSList& rss) {
  std::stable_sort(rss.begin(), rss.end(), [](const RSPtr& a, const RSPtr& b) {
    if (replicas_of(*a) == replicas_of(*b)) return created_before(*a, *b);
    return replicas_of(*a) > replicas_of(*b);
  });
}

void sort_by_revision(RSList& rss) {
  std::stable_sort(rss.begin(), rss.end(), [](const RSPtr& a, const RSPtr& b) {
    auto ra = revision_of(a->metadata), rb = revision_of(b->metadata);
    if (!ra || !rb || *ra == *rb) return created_before(*a, *b);
    return *ra < *rb;
  });
}

}  // namespace skiff::controller
