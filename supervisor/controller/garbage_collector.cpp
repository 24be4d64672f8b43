#include "controller/garbage_collector.hpp"

#include <algorithm>

namespace skiff::controller {
namespace {

bool has_finalizer(const manifest::ObjectMeta& m, std::string_view f) {
  return std::find(m.finalizers.begin(), m.finalizers.end(), f) != m.finalizers.end();
}

bool deleting_dependents(const manifest::ObjectMeta& m) {
  return m.deletion_timestamp && has_finalizer(m, kForegroundFinalizer);
}

std::string make_key(std::string_view what, const manifest::Object& obj) {
  const auto& m = manifest::meta_of(obj);
  return std::string(what) + "|" + std::string(manifest::kind_of(obj)) + "|" + m.namespace_ + "|" + m.name;
}

struct ParsedKey {
  std::string what, kind, ns, name;
};

std::optional<ParsedKey> parse_key(const std::string& key) {
  ParsedKey k;
  size_t a = key.find('|'), b = a == std::string::npos ? a : key.find('|', a + 1),
         c = b == std::string::npos ? b : key.find('|', b + 1);
  if (c == std::string::npos) return std::nullopt;
  k.what = key.substr(0, a);
  k.kind = key.substr(a + 1, b - a - 1);
  k.ns = key.substr(b + 1, c - b - 1);
  k.name = key.substr(c + 1);
  return k;
}

bool refers_to(const manifest::ObjectMeta& m, const std::string& uid) {
  return std::any_of(m.owner_references.begin(), m.owner_references.end(),
                     [&](const manifest::OwnerReference& r) { return r.uid == uid; });
}

}  // namespace

GarbageCollector::GarbageCollector(const ObjectCache& cache, Client& client, Enqueue enqueue)
    : cache_(cache), client_(client), enqueue_(std::move(enqueue)) {}

std::string GarbageCollector::dependent_key(const manifest::Object& obj) {
  return make_key("dependent", obj);
}
std::string GarbageCollector::owner_key(const manifest::Object& obj) {
  return make_key("owner", obj);
}

SyncResult GarbageCollector::sync(const std::string& key) {
  auto k = parse_key(key);
  if (!k) return {};
  try {
    if (k->what == "dependent") return attempt_to_delete(k->kind, k->ns, k->name);
    if (k->what == "owner") return process_deleting_owner(k->kind, k->ns, k->name);
  } catch (const ClientError& e) {
    return SyncResult{std::nullopt, e.what()};
  }
  return {};
}

std::shared_ptr<const manifest::Object> GarbageCollector::owner_of(
    const manifest::Object& dependent, const manifest::OwnerReference& ref) const {
  // Owners live in the dependent's namespace, or are cluster-scoped.
  auto owner = cache_.find(ref.kind, manifest::meta_of(dependent).namespace_, ref.name);
  if (!owner || manifest::meta_of(*owner).uid != ref.uid) return nullptr;
  return owner;
}

std::vector<std::shared_ptr<const manifest::Object>> GarbageCollector::dependents_of(
    const manifest::Object& owner) const {
  std::vector<std::shared_ptr<const manifest::Object>> out;
  const auto& m = manifest::meta_of(owner);
  auto candidates = manifest::is_namespaced(owner) ? cache_.in_namespace(m.namespace_) : cache_.all();
  for (auto& obj : candidates)
    if (refers_to(manifest::meta_of(*obj), m.uid)) out.push_back(obj);
  return out;
}

bool GarbageCollector::has_dangling_owner(const manifest::Object& obj) const {
  for (const auto& ref : manifest::meta_of(obj).owner_references)
    if (!owner_of(obj, ref)) return true;
  return false;
}

SyncResult GarbageCollector::attempt_to_delete(std::string_view kind, const std::string& ns,
                                               const std::string& name) {
  auto item = cache_.find(kind, ns, name);
  if (!item) return {};
  const auto& m = manifest::meta_of(*item);
  // Already going, and not waiting for dependents of its own: nothing to do.
  if (m.deletion_timestamp && !has_finalizer(m, kForegroundFinalizer)) return {};
  if (m.owner_references.empty()) return {};
  std::vector<manifest::OwnerReference> solid, dangling, waiting;
  for (const auto& ref : m.owner_references) {
    auto owner = owner_of(*item, ref);
    if (!owner)
      dangling.push_back(ref);
    else if (deleting_dependents(manifest::meta_of(*owner)))
      waiting.push_back(ref);
    else
      solid.push_back(ref);
  }
  if (!solid.empty()) {
    if (dangling.empty() && waiting.empty()) return {};
    // Still owned: drop the references to owners that are gone, and stop blocking owners that wait.
    std::vector<manifest::OwnerReference> refs;
    for (auto ref : m.owner_references) {
      if (std::find(dangling.begin(), dangling.end(), ref) != dangling.end()) continue;
      if (std::find(waiting.begin(), waiting.end(), ref) != waiting.end()) ref.block_owner_deletion = false;
      refs.push_back(ref);
    }
    client_.set_owner_references(kind, ns, name, m.uid, refs);
    return {};
  }
  RemoveOptions opts{m.uid, "Background"};
  if (!waiting.empty() && !dependents_of(*item).empty())
    opts.propagation = "Foreground";  // so the waiting owner waits for our dependents too
  else if (has_finalizer(m, kOrphanFinalizer))
    opts.propagation = "Orphan";
  else if (has_finalizer(m, kForegroundFinalizer))
    opts.propagation = "Foreground";
  try {
    client_.remove(kind, ns, name, opts);
  } catch (const ClientError& e) {
    if (!is_not_found(e)) throw;
  }
  return {};
}

SyncResult GarbageCollector::process_deleting_owner(std::string_view kind, const std::string& ns,
                                                    const std::string& name) {
  auto owner = cache_.find(kind, ns, name);
  if (!owner) return {};
  manifest::Object copy = *owner;
  auto& m = manifest::meta_of(copy);
  if (!m.deletion_timestamp) return {};
  auto dependents = dependents_of(*owner);
  if (has_finalizer(m, kOrphanFinalizer)) {
    for (const auto& dep : dependents) {
      const auto& dm = manifest::meta_of(*dep);
      std::vector<manifest::OwnerReference> refs;
      for (const auto& r : dm.owner_references)
        if (r.uid != m.uid) refs.push_back(r);
      try {
        client_.set_owner_references(manifest::kind_of(*dep), dm.namespace_, dm.name, dm.uid, refs);
      } catch (const ClientError& e) {
        if (!is_not_found(e)) throw;
      }
    }
    std::erase(m.finalizers, std::string(kOrphanFinalizer));
    copy = client_.update(copy);
    return {};
  }
  if (has_finalizer(m, kForegroundFinalizer)) {
    bool blocking = false;
    for (const auto& dep : dependents) {
      const auto& dm = manifest::meta_of(*dep);
      for (const auto& r : dm.owner_references)
        if (r.uid == m.uid && r.block_owner_deletion.value_or(false)) blocking = true;
      if (!deleting_dependents(dm)) {
        const auto r = attempt_to_delete(manifest::kind_of(*dep), dm.namespace_, dm.name);
        if (!r.ok()) return r;
      }
    }
    if (!blocking) {
      std::erase(m.finalizers, std::string(kForegroundFinalizer));
      client_.update(copy);
    }
  }
  return {};
}

void GarbageCollector::object_changed(const manifest::Object& obj) {
  const auto& m = manifest::meta_of(obj);
  if (!m.owner_references.empty() && has_dangling_owner(obj)) enqueue_(dependent_key(obj), {});
  if (m.deletion_timestamp &&
      (has_finalizer(m, kOrphanFinalizer) || has_finalizer(m, kForegroundFinalizer))) {
    enqueue_(owner_key(obj), {});
    for (const auto& dep : dependents_of(obj)) enqueue_(dependent_key(*dep), {});
  }
}

void GarbageCollector::object_deleted(const manifest::Object& obj) {
  for (const auto& dep : dependents_of(obj)) enqueue_(dependent_key(*dep), {});
  // An owner waiting for its dependents may be free to go now.
  for (const auto& ref : manifest::meta_of(obj).owner_references) {
    auto owner = owner_of(obj, ref);
    if (owner && deleting_dependents(manifest::meta_of(*owner))) enqueue_(owner_key(*owner), {});
  }
}

void GarbageCollector::resync_all() {
  for (const auto& obj : cache_.all()) object_changed(*obj);
}

}  // namespace skiff::controller
