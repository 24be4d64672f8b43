// The pod's QoS class (status.qosClass), as the API server sets it on create (pkg/apis/core/helper/qos).
#pragma once

#include <string>

#include "manifest/types_pod.hpp"

namespace skiff::manifest {

// "Guaranteed" (every container limits cpu and memory, requests equal to limits), "BestEffort" (no
// container requests or limits cpu or memory), else "Burstable".
std::string pod_qos_class(const PodSpec& spec);

}  // namespace skiff::manifest
