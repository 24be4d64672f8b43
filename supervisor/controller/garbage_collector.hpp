// Garbage collection of owned objects (pkg/controller/garbagecollector), for one host's objects:
//   - a dependent whose owners are all gone (or are other objects now: a different uid) is deleted,
//     with the propagation its own finalizers ask for (Background, Kubernetes' default);
//   - one that still has a live owner loses only its dangling references;
//   - an owner deleted in the foreground (finalizer foregroundDeletion) has its dependents deleted first
//     and goes once no dependent with blockOwnerDeletion is left;
//   - an owner deleted with orphan (finalizer orphan) has the references to it removed from its
//     dependents, then the finalizer.
// Keys name what to look at: "dependent|<Kind>|<namespace>|<name>" and "owner|<Kind>|<namespace>|<name>".
#pragma once

#include <string>
#include <vector>

#include "controller/client.hpp"
#include "controller/object_cache.hpp"
#include "controller/sync_result.hpp"

namespace skiff::controller {

inline constexpr std::string_view kForegroundFinalizer = "foregroundDeletion";
inline constexpr std::string_view kOrphanFinalizer = "orphan";

class GarbageCollector {
 public:
  GarbageCollector(const ObjectCache& cache, Client& client, Enqueue enqueue);

  SyncResult sync(const std::string& key);

  // Handlers (after the cache has the change).
  void object_changed(const manifest::Object& obj);
  void object_deleted(const manifest::Object& obj);
  // Looks at every object once (after a restart, when deletions may have been missed).
  void resync_all();

  static std::string dependent_key(const manifest::Object& obj);
  static std::string owner_key(const manifest::Object& obj);

 private:
  SyncResult attempt_to_delete(std::string_view kind, const std::string& ns, const std::string& name);
  SyncResult process_deleting_owner(std::string_view kind, const std::string& ns, const std::string& name);
  std::vector<std::shared_ptr<const manifest::Object>> dependents_of(const manifest::Object& owner) const;
  std::shared_ptr<const manifest::Object> owner_of(const manifest::Object& dependent,
                                                   const manifest::OwnerReference& ref) const;
  bool has_dangling_owner(const manifest::Object& obj) const;

  const ObjectCache& cache_;
  Client& client_;
  Enqueue enqueue_;
};

}  // namespace skiff::controller
