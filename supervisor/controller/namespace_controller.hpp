// The Namespace lifecycle (pkg/controller/namespace): a Namespace being deleted is Terminating; every
// object in it is deleted (pods go through their graceful termination); once nothing is left, the
// "kubernetes" finalizer is removed and the store lets the Namespace go. A Namespace seen to vanish
// outright (deleted with no finalizer) still has what was in it deleted. Status conditions say what is
// left, with Kubernetes' types, reasons and messages (NamespaceContentRemaining, ...).
#pragma once

#include <set>
#include <string>

#include "controller/client.hpp"
#include "controller/clock.hpp"
#include "controller/object_cache.hpp"
#include "controller/sync_result.hpp"

namespace skiff::controller {

inline constexpr std::string_view kNamespaceFinalizer = "kubernetes";

class NamespaceController {
 public:
  NamespaceController(const ObjectCache& cache, Client& client, const Clock& clock, Enqueue enqueue);

  // Syncs the Namespace `name` (its key is "/name" or "name").
  SyncResult sync(const std::string& key);

  void namespace_changed(const manifest::Namespace& ns);
  // The Namespace itself is gone from the store (deleted with no finalizer): what it held goes too.
  void namespace_deleted(const manifest::Namespace& ns);
  // An object in a Namespace was deleted: a terminating Namespace may be empty now.
  void object_deleted(const manifest::ObjectMeta& meta);

 private:
  SyncResult delete_content(const std::string& ns, manifest::Namespace* terminating);
  void finalize(manifest::Namespace ns);

  // Namespaces seen deleted whose content has not been swept yet. Only these are swept: an absent
  // Namespace that was never seen going is no reason to delete anything.
  std::set<std::string> deleted_;
  const ObjectCache& cache_;
  Client& client_;
  const Clock& clock_;
  Enqueue enqueue_;
};

}  // namespace skiff::controller
