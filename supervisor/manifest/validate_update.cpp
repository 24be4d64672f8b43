// What an update may not change (the API server's ValidateXUpdate): a Deployment's or ReplicaSet's
// selector, an immutable ConfigMap's or Secret's data, a Secret's type, a Service's cluster IP, and all
// of a Pod's spec but its images, activeDeadlineSeconds, tolerations and terminationGracePeriodSeconds.
#include "manifest/codec.hpp"
#include "manifest/manifest.hpp"

namespace skiff::manifest {
namespace {

constexpr const char* kImmutable = "field is immutable";

void check_update(const Pod& old_pod, const Pod& pod, Diagnostics& d) {
  PodSpec allowed = old_pod.spec;
  auto take_images = [](std::vector<Container>& into, const std::vector<Container>& from) {
    for (size_t i = 0; i < into.size() && i < from.size(); ++i) into[i].image = from[i].image;
  };
  take_images(allowed.containers, pod.spec.containers);
  take_images(allowed.init_containers, pod.spec.init_containers);
  allowed.active_deadline_seconds = pod.spec.active_deadline_seconds;
  allowed.termination_grace_period_seconds = pod.spec.termination_grace_period_seconds;
  if (pod.spec.ignored.fields.contains("tolerations"))
    allowed.ignored.fields["tolerations"] = pod.spec.ignored.fields["tolerations"];
  else
    allowed.ignored.fields.erase("tolerations");
  if (!(allowed == pod.spec))
    d.forbidden(
        FieldPath("spec"),
        "pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
        "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
        "previously negative)");
}

void check_selector(const std::optional<LabelSelector>& old_sel, const std::optional<LabelSelector>& sel,
                    Diagnostics& d) {
  if (old_sel != sel)
    d.invalid(FieldPath("spec").child("selector"), sel ? encode_value(*sel) : nlohmann::json(nullptr),
              kImmutable);
}

void check_update(const Deployment& o, const Deployment& n, Diagnostics& d) {
  check_selector(o.spec.selector, n.spec.selector, d);
}
void check_update(const ReplicaSet& o, const ReplicaSet& n, Diagnostics& d) {
  check_selector(o.spec.selector, n.spec.selector, d);
}

template <typename T>
void check_immutable_data(const T& o, const T& n, Diagnostics& d) {
  if (!o.immutable.value_or(false)) return;
  constexpr const char* kWhy = "field is immutable when `immutable` is set";
  if (!n.immutable.value_or(false)) d.forbidden(FieldPath("immutable"), kWhy);
  if (o.data != n.data) d.forbidden(FieldPath("data"), kWhy);
  if constexpr (requires { o.binary_data; })
    if (o.binary_data != n.binary_data) d.forbidden(FieldPath("binaryData"), kWhy);
}

void check_update(const ConfigMap& o, const ConfigMap& n, Diagnostics& d) {
  check_immutable_data(o, n, d);
}
void check_update(const Secret& o, const Secret& n, Diagnostics& d) {
  check_immutable_data(o, n, d);
  if (o.type != n.type) d.invalid(FieldPath("type"), n.type, kImmutable);
}

void check_update(const Service& o, const Service& n, Diagnostics& d) {
  // The cluster IP stays once allocated, unless the Service becomes or stops being an ExternalName.
  bool external_change = (o.spec.type == "ExternalName") != (n.spec.type == "ExternalName");
  if (!external_change && !o.spec.cluster_ip.empty() && o.spec.cluster_ip != n.spec.cluster_ip)
    d.invalid(FieldPath("spec").child("clusterIP"), n.spec.cluster_ip, kImmutable);
}

void check_update(const EndpointSlice& o, const EndpointSlice& n, Diagnostics& d) {
  if (o.address_type != n.address_type) d.invalid(FieldPath("addressType"), n.address_type, kImmutable);
}

template <typename T>
void check_update(const T&, const T&, Diagnostics&) {}

}  // namespace

void validate_update(const Object& old_object, const Object& object, Diagnostics& d) {
  if (old_object.index() != object.index()) {
    d.invalid(FieldPath("kind"), std::string(kind_of(object)),
              "may not change from " + std::string(kind_of(old_object)));
    return;
  }
  const ObjectMeta &om = meta_of(old_object), &nm = meta_of(object);
  if (om.name != nm.name) d.invalid(FieldPath("metadata").child("name"), nm.name, kImmutable);
  if (om.namespace_ != nm.namespace_)
    d.invalid(FieldPath("metadata").child("namespace"), nm.namespace_, kImmutable);
  std::visit(
      [&](const auto& n) {
        using T = std::decay_t<decltype(n)>;
        check_update(std::get<T>(old_object), n, d);
      },
      object);
}

}  // namespace skiff::manifest
