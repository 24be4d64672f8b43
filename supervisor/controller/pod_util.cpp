#include "controller/pod_util.hpp"

#include <algorithm>

namespace skiff::controller {

const manifest::PodCondition* pod_condition(const manifest::Pod& pod, std::string_view type) {
  for (const auto& c : pod.status.conditions)
    if (c.type == type) return &c;
  return nullptr;
}

bool is_pod_ready(const manifest::Pod& pod) {
  const auto* c = pod_condition(pod, "Ready");
  return c && c->status == "True";
}

bool is_pod_available(const manifest::Pod& pod, int32_t min_ready_seconds, WallTime now) {
  if (!is_pod_ready(pod)) return false;
  if (min_ready_seconds == 0) return true;
  auto since = parse_time(pod_condition(pod, "Ready")->last_transition_time);
  return since && *since + std::chrono::seconds(min_ready_seconds) < now;
}

bool is_pod_active(const manifest::Pod& pod) {
  return pod.status.phase != "Succeeded" && pod.status.phase != "Failed" && !pod.metadata.deletion_timestamp;
}

int32_t max_container_restarts(const manifest::Pod& pod) {
  int32_t most = 0;
  for (const auto& c : pod.status.container_statuses) most = std::max(most, c.restart_count);
  return most;
}

const manifest::OwnerReference* controller_of(const manifest::ObjectMeta& meta) {
  for (const auto& r : meta.owner_references)
    if (r.controller.value_or(false)) return &r;
  return nullptr;
}

manifest::OwnerReference new_controller_ref(const manifest::ObjectMeta& owner, std::string_view api_version,
                                            std::string_view kind) {
  manifest::OwnerReference r;
  r.api_version = api_version;
  r.kind = kind;
  r.name = owner.name;
  r.uid = owner.uid;
  r.controller = true;
  r.block_owner_deletion = true;
  return r;
}

std::string key_of(const manifest::ObjectMeta& meta) {
  return meta.namespace_ + "/" + meta.name;
}

}  // namespace skiff::controller
