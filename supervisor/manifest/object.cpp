#include "manifest/object.hpp"

namespace skiff::manifest {
namespace {

template <typename T>
struct KindInfo;
template <>
struct KindInfo<Namespace> {
  static constexpr std::string_view kind = "Namespace", api = "v1";
  static constexpr bool namespaced = false;
};
template <>
struct KindInfo<Pod> {
  static constexpr std::string_view kind = "Pod", api = "v1";
  static constexpr bool namespaced = true;
};
template <>
struct KindInfo<ConfigMap> {
  static constexpr std::string_view kind = "ConfigMap", api = "v1";
  static constexpr bool namespaced = true;
};
template <>
struct KindInfo<Secret> {
  static constexpr std::string_view kind = "Secret", api = "v1";
  static constexpr bool namespaced = true;
};
template <>
struct KindInfo<Deployment> {
  static constexpr std::string_view kind = "Deployment", api = "apps/v1";
  static constexpr bool namespaced = true;
};
template <>
struct KindInfo<ReplicaSet> {
  static constexpr std::string_view kind = "ReplicaSet", api = "apps/v1";
  static constexpr bool namespaced = true;
};
template <>
struct KindInfo<Service> {
  static constexpr std::string_view kind = "Service", api = "v1";
  static constexpr bool namespaced = true;
};
template <>
struct KindInfo<HorizontalPodAutoscaler> {
  static constexpr std::string_view kind = "HorizontalPodAutoscaler", api = "autoscaling/v2";
  static constexpr bool namespaced = true;
};

template <>
struct KindInfo<Endpoints> {
  static constexpr std::string_view kind = "Endpoints", api = "v1";
  static constexpr bool namespaced = true;
};
template <>
struct KindInfo<EndpointSlice> {
  static constexpr std::string_view kind = "EndpointSlice", api = "discovery.k8s.io/v1";
  static constexpr bool namespaced = true;
};

}  // namespace

std::string_view kind_of(const Object& o) {
  return std::visit([](const auto& x) { return KindInfo<std::decay_t<decltype(x)>>::kind; }, o);
}
std::string_view api_version_of(const Object& o) {
  return std::visit([](const auto& x) { return KindInfo<std::decay_t<decltype(x)>>::api; }, o);
}
bool is_namespaced(const Object& o) {
  return std::visit([](const auto& x) { return KindInfo<std::decay_t<decltype(x)>>::namespaced; }, o);
}
ObjectMeta& meta_of(Object& o) {
  return std::visit([](auto& x) -> ObjectMeta& { return x.metadata; }, o);
}
const ObjectMeta& meta_of(const Object& o) {
  return std::visit([](const auto& x) -> const ObjectMeta& { return x.metadata; }, o);
}

}  // namespace skiff::manifest
