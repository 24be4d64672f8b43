#include "store/kinds.hpp"

namespace skiff::store {

const std::vector<KindInfo>& known_kinds() {
  static const std::vector<KindInfo> kinds = {
      {"Namespace", "v1", "namespaces", false, true},
      {"Node", "v1", "nodes", false, true},
      {"Pod", "v1", "pods", true, true},
      {"ConfigMap", "v1", "configmaps", true, false},
      {"Secret", "v1", "secrets", true, false},
      {"Service", "v1", "services", true, true},
      {"Endpoints", "v1", "endpoints", true, false},
      {"Event", "v1", "events", true, false},
      {"ReplicaSet", "apps/v1", "replicasets", true, true},
      {"Deployment", "apps/v1", "deployments", true, true},
      {"ControllerRevision", "apps/v1", "controllerrevisions", true, false},
      {"EndpointSlice", "discovery.k8s.io/v1", "endpointslices", true, false},
      {"HorizontalPodAutoscaler", "autoscaling/v2", "horizontalpodautoscalers", true, true},
  };
  return kinds;
}

const KindInfo* find_kind(std::string_view kind) {
  for (const auto& k : known_kinds())
    if (k.kind == kind) return &k;
  return nullptr;
}

std::string_view api_group(const KindInfo& k) {
  auto slash = k.api_version.find('/');
  return slash == std::string_view::npos ? std::string_view{} : k.api_version.substr(0, slash);
}

const KindInfo* find_kind_by_plural(std::string_view group, std::string_view plural) {
  for (const auto& k : known_kinds())
    if (k.plural == plural && api_group(k) == group) return &k;
  return nullptr;
}

}  // namespace skiff::store
