// One supervised object of any kind skiff runs, and what every kind has in common.
#pragma once

#include <string_view>
#include <variant>

#include "manifest/types_endpoints.hpp"
#include "manifest/types_kinds.hpp"
#include "manifest/types_pod.hpp"

namespace skiff::manifest {

using Object = std::variant<Namespace, Pod, ConfigMap, Secret, Deployment, ReplicaSet, Service,
                            HorizontalPodAutoscaler, Endpoints, EndpointSlice>;

std::string_view kind_of(const Object& o);
std::string_view api_version_of(const Object& o);  // the version skiff stores and prints
bool is_namespaced(const Object& o);
ObjectMeta& meta_of(Object& o);
const ObjectMeta& meta_of(const Object& o);

}  // namespace skiff::manifest
