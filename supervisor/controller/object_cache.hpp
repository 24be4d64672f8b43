// ObjectCache: the typed objects controllers read (an informer's indexer and lister in one). The
// supervisor fills it from the store's watches, so it may lag behind the store by a few events; that lag
// is why the ReplicaSet controller keeps expectations. Tests fill it by hand. Objects are immutable once
// put: readers hold shared pointers, a change replaces the entry. Not thread-safe (the loop's thread).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "controller/kind_names.hpp"
#include "manifest/object.hpp"

namespace skiff::controller {

template <typename T>
using Ptr = std::shared_ptr<const T>;

class ObjectCache {
 public:
  // Adds or replaces the object with its kind, namespace and name. Returns the previous one (or null).
  std::shared_ptr<const manifest::Object> put(manifest::Object obj);
  // Removes it; returns what was there (or null).
  std::shared_ptr<const manifest::Object> erase(std::string_view kind, const std::string& ns,
                                                const std::string& name);

  // Objects of T in namespace `ns` (every namespace when empty), sorted by namespace then name.
  template <typename T>
  std::vector<Ptr<T>> list(const std::string& ns = {}) const {
    std::vector<Ptr<T>> out;
    auto kit = kinds_.find(kind_name<T>());
    if (kit == kinds_.end()) return out;
    const auto& objs = kit->second;
    auto it = ns.empty() ? objs.begin() : objs.lower_bound(ns + "/");
    for (; it != objs.end(); ++it) {
      if (!ns.empty() && it->first.compare(0, ns.size() + 1, ns + "/") != 0) break;
      out.push_back(typed<T>(it->second));
    }
    return out;
  }
  template <typename T>
  Ptr<T> get(const std::string& ns, const std::string& name) const {
    auto obj = find(kind_name<T>(), ns, name);
    return obj ? typed<T>(obj) : nullptr;
  }
  std::shared_ptr<const manifest::Object> find(std::string_view kind, const std::string& ns,
                                               const std::string& name) const;
  // Every object of every kind in namespace `ns` (the Namespace lifecycle's sweep).
  std::vector<std::shared_ptr<const manifest::Object>> in_namespace(const std::string& ns) const;
  // Every object of every kind (the garbage collector's graph).
  std::vector<std::shared_ptr<const manifest::Object>> all() const;
  size_t size() const;

 private:
  template <typename T>
  static Ptr<T> typed(const std::shared_ptr<const manifest::Object>& o) {
    return Ptr<T>(o, &std::get<T>(*o));
  }
  // kind -> "namespace/name" -> object ("/name" for cluster-scoped kinds).
  std::map<std::string, std::map<std::string, std::shared_ptr<const manifest::Object>>, std::less<>> kinds_;
};

}  // namespace skiff::controller
