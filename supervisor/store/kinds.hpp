// The kinds the store keeps, with what the store and the API need to know of each: its apiVersion, its
// plural (the path segment of the API and the folder on disk), whether it lives in a namespace, and
// whether it has a status kept apart from its spec. A kind missing here is refused by the store; add a
// row when a controller needs a new kind. Immutable data: safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace skiff::store {

struct KindInfo {
  std::string_view kind;         // "Deployment"
  std::string_view api_version;  // "apps/v1"
  std::string_view plural;       // "deployments"
  bool namespaced;
  bool has_status;  // a status subresource: status kept in memory, persisted coalesced
};

const std::vector<KindInfo>& known_kinds();
// nullptr when the kind is unknown.
const KindInfo* find_kind(std::string_view kind);
// By API group ("" for the core group, "apps", ...) and plural, as a request path names it.
const KindInfo* find_kind_by_plural(std::string_view group, std::string_view plural);
// "apps" for "apps/v1", "" for "v1".
std::string_view api_group(const KindInfo& k);

}  // namespace skiff::store
