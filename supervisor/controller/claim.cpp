#include "controller/claim.hpp"

#include "controller/pod_util.hpp"

namespace skiff::controller {
namespace {

bool ignorable(const ClientError& e) {
  // Gone, or its references were changed by someone else: nothing left to claim.
  return e.reason() == ErrorReason::kNotFound || e.reason() == ErrorReason::kInvalid;
}

}  // namespace

bool claim_object(const Owner& owner, std::string_view obj_kind, const manifest::ObjectMeta& obj,
                  bool matches, Client& client) {
  if (const auto* ref = controller_of(obj)) {
    if (ref->uid != owner.meta.uid) return false;
    if (matches) return true;
    if (owner.meta.deletion_timestamp) return false;
    std::vector<manifest::OwnerReference> refs;
    for (const auto& r : obj.owner_references)
      if (r.uid != owner.meta.uid) refs.push_back(r);
    try {
      client.set_owner_references(obj_kind, obj.namespace_, obj.name, obj.uid, refs);
    } catch (const ClientError& e) {
      if (!ignorable(e)) throw;
    }
    return false;
  }
  if (owner.meta.deletion_timestamp || !matches) return false;
  if (obj.deletion_timestamp) return false;
  if (!owner.meta.namespace_.empty() && owner.meta.namespace_ != obj.namespace_) return false;
  auto refs = obj.owner_references;
  refs.push_back(new_controller_ref(owner.meta, owner.api_version, owner.kind));
  try {
    client.set_owner_references(obj_kind, obj.namespace_, obj.name, obj.uid, refs);
  } catch (const ClientError& e) {
    if (e.reason() == ErrorReason::kNotFound) return false;
    throw;
  }
  return true;
}

}  // namespace skiff::controller
