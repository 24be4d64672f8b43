#include "controller/object_cache.hpp"

namespace skiff::controller {
namespace {

std::string cache_key(const manifest::ObjectMeta& m) {
  return m.namespace_ + "/" + m.name;
}

}  // namespace

std::shared_ptr<const manifest::Object> ObjectCache::put(manifest::Object obj) {
  std::string kind(manifest::kind_of(obj));
  if (!manifest::is_namespaced(obj)) manifest::meta_of(obj).namespace_.clear();
  std::string key = cache_key(manifest::meta_of(obj));
  auto& slot = kinds_[kind][key];
  auto old = std::move(slot);
  slot = std::make_shared<const manifest::Object>(std::move(obj));
  return old;
}

std::shared_ptr<const manifest::Object> ObjectCache::erase(std::string_view kind, const std::string& ns,
                                                           const std::string& name) {
  auto kit = kinds_.find(kind);
  if (kit == kinds_.end()) return nullptr;
  auto it = kit->second.find(ns + "/" + name);
  if (it == kit->second.end()) return nullptr;
  auto old = std::move(it->second);
  kit->second.erase(it);
  return old;
}

std::shared_ptr<const manifest::Object> ObjectCache::find(std::string_view kind, const std::string& ns,
                                                          const std::string& name) const {
  auto kit = kinds_.find(kind);
  if (kit == kinds_.end()) return nullptr;
  auto it = kit->second.find(ns + "/" + name);
  // A cluster-scoped kind asked for with a namespace: the namespace means nothing for it.
  if (it == kit->second.end() && !ns.empty()) it = kit->second.find("/" + name);
  return it == kit->second.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const manifest::Object>> ObjectCache::in_namespace(const std::string& ns) const {
  std::vector<std::shared_ptr<const manifest::Object>> out;
  if (ns.empty()) return out;
  std::string prefix = ns + "/";
  for (const auto& [kind, objs] : kinds_)
    for (auto it = objs.lower_bound(prefix);
         it != objs.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
      out.push_back(it->second);
  return out;
}

std::vector<std::shared_ptr<const manifest::Object>> ObjectCache::all() const {
  std::vector<std::shared_ptr<const manifest::Object>> out;
  for (const auto& [kind, objs] : kinds_)
    for (const auto& [key, obj] : objs) out.push_back(obj);
  return out;
}

size_t ObjectCache::size() const {
  size_t n = 0;
  for (const auto& [kind, objs] : kinds_) n += objs.size();
  return n;
}

}  // namespace skiff::controller
