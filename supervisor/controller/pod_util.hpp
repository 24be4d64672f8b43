// What controllers ask of pods and owner references, as pkg/api/v1/pod (IsPodReady, IsPodAvailable),
// pkg/controller (IsPodActive) and metav1 (GetControllerOf, NewControllerRef) answer it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "controller/time_util.hpp"
#include "manifest/object.hpp"

namespace skiff::controller {

// The label the Deployment controller puts on its ReplicaSets and their pods.
inline constexpr std::string_view kPodTemplateHashLabel = "pod-template-hash";

const manifest::PodCondition* pod_condition(const manifest::Pod& pod, std::string_view type);
// The Ready condition is True.
bool is_pod_ready(const manifest::Pod& pod);
// Ready, and (minReadySeconds is 0, or Ready has been True for longer than minReadySeconds at `now`).
bool is_pod_available(const manifest::Pod& pod, int32_t min_ready_seconds, WallTime now);
// Neither Succeeded nor Failed, and not being deleted.
bool is_pod_active(const manifest::Pod& pod);
// The largest restartCount among the pod's containers.
int32_t max_container_restarts(const manifest::Pod& pod);

// The owner reference with controller: true, or nullptr.
const manifest::OwnerReference* controller_of(const manifest::ObjectMeta& meta);
// metav1.NewControllerRef: the owner's apiVersion, kind, name and uid, controller and blockOwnerDeletion
// true.
manifest::OwnerReference new_controller_ref(const manifest::ObjectMeta& owner, std::string_view api_version,
                                            std::string_view kind);
// "namespace/name", the key controllers queue objects by (cache.MetaNamespaceKeyFunc).
std::string key_of(const manifest::ObjectMeta& meta);

}  // namespace skiff::controller
