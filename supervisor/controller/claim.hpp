// Adoption and release, as BaseControllerRefManager.ClaimObject does them: an object that a controller
// owns and its selector still matches stays owned; one it owns that no longer matches is released
// (unless the controller is being deleted); an orphan that matches is adopted (unless either is being
// deleted or it lives in another namespace); an object another controller owns is left alone.
#pragma once

#include <string_view>

#include "controller/client.hpp"

namespace skiff::controller {

struct Owner {
  const manifest::ObjectMeta& meta;
  std::string_view api_version, kind;
};

// Whether the controller owns `obj` after the claim. `matches`: the controller's selector matches the
// object's labels. Adopting and releasing go through `client` (errors other than NotFound throw).
bool claim_object(const Owner& owner, std::string_view obj_kind, const manifest::ObjectMeta& obj,
                  bool matches, Client& client);

}  // namespace skiff::controller
