#include "controller/client.hpp"

namespace skiff::controller {

ObjectRef ref_of(const manifest::Object& obj) {
  const auto& m = manifest::meta_of(obj);
  return ObjectRef{std::string(manifest::kind_of(obj)), std::string(manifest::api_version_of(obj)),
                   m.namespace_, m.name, m.uid};
}

}  // namespace skiff::controller
