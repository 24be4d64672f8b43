// What validate_pod.cpp and validate_container.cpp share.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "manifest/validation.hpp"

namespace skiff::manifest {

struct ContainerContext {
  std::set<std::string> volumes;  // names a volumeMount may use
  bool init = false;
  bool host_network = false;
};

void validate_container(const Container& c, const ContainerContext& ctx, const FieldPath& p, Diagnostics& d);
// Probe and lifecycle specs (the probes library's parser, once it is wired in).
void validate_probes(const Container& c, const FieldPath& p, Diagnostics& d);
void validate_seccomp(const SeccompProfile& s, const FieldPath& p, Diagnostics& d);
void validate_id(Diagnostics& d, const FieldPath& p, const std::optional<int64_t>& id);
void validate_field_ref(const ObjectFieldSelector& f, const FieldPath& p, Diagnostics& d,
                        const std::vector<std::string>& allowed);
void validate_resource_field_ref(const ResourceFieldSelector& r, const FieldPath& p, Diagnostics& d,
                                 bool container_required);

}  // namespace skiff::manifest
