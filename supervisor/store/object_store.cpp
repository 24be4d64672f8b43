// ObjectStore: reads, writes and their bookkeeping (the disk side is in object_store_disk.cpp).
#include "store/object_store.hpp"

#include "store/ids.hpp"

namespace skiff::store {
namespace {

using nlohmann::json;

const KindInfo& kind_of(const json& obj) {
  if (!obj.is_object()) throw StoreError(Reason::kBadRequest, "an object must be a JSON object");
  auto it = obj.find("kind");
  if (it == obj.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
    throw StoreError(Reason::kBadRequest, "the object has no kind");
  const KindInfo* k = find_kind(it->get_ref<const std::string&>());
  if (!k) throw StoreError(Reason::kBadRequest, "kind \"" + it->get<std::string>() + "\" is not supported");
  auto av = obj.find("apiVersion");
  if (av != obj.end() && (!av->is_string() || av->get_ref<const std::string&>() != k->api_version))
    throw StoreError(Reason::kBadRequest, "kind " + std::string(k->kind) + " is served as apiVersion " +
                                              std::string(k->api_version) + ", not " + av->dump());
  return *k;
}

const KindInfo& kind_named(const std::string& kind) {
  const KindInfo* k = find_kind(kind);
  if (!k) throw StoreError(Reason::kBadRequest, "kind \"" + kind + "\" is not supported");
  return *k;
}

std::string str(const json& md, const char* field) {
  auto it = md.find(field);
  return it != md.end() && it->is_string() ? it->get<std::string>() : std::string();
}

[[noreturn]] void conflict(const KindInfo& k, const std::string& name) {
  throw StoreError(Reason::kConflict, "Operation cannot be fulfilled on " + describe_object(k, name) +
                                          ": the object has been modified; please apply your changes to the "
                                          "latest version and try again");
}

// Equal but for resourceVersion: an update that changes nothing is not a change.
bool same_ignoring_rv(json a, json b) {
  a["metadata"].erase("resourceVersion");
  b["metadata"].erase("resourceVersion");
  return a == b;
}

bool has_finalizers(const json& obj) {
  auto it = obj["metadata"].find("finalizers");
  return it != obj["metadata"].end() && it->is_array() && !it->empty();
}

}  // namespace

std::string describe_object(const KindInfo& k, const std::string& name) {
  return std::string(k.plural) + " \"" + name + "\"";
}

std::string ObjectStore::key(const KindInfo& k, const std::string& ns, const std::string& name) const {
  return std::string(k.kind) + "/" + (k.namespaced ? ns : std::string()) + "/" + name;
}

ObjectPtr ObjectStore::get(const std::string& kind, const std::string& ns, const std::string& name) const {
  const KindInfo& k = kind_named(kind);
  auto it = objects_.find(key(k, ns, name));
  return it == objects_.end() ? nullptr : it->second.obj;
}

ListResult ObjectStore::list(const Filter& filter) const {
  const KindInfo& k = kind_named(filter.kind);
  std::string prefix = std::string(k.kind) + "/" + (k.namespaced ? filter.ns : std::string());
  if (k.namespaced && !filter.ns.empty()) prefix += "/";
  ListResult out{{}, rv_};
  for (auto it = objects_.lower_bound(prefix);
       it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    if (filter.matches(*it->second.obj)) out.items.push_back(it->second.obj);
  return out;
}

ObjectPtr ObjectStore::create(json obj) {
  const KindInfo& k = kind_of(obj);
  obj["apiVersion"] = k.api_version;
  json& md = obj["metadata"];
  if (md.is_null()) md = json::object();
  if (!md.is_object()) throw StoreError(Reason::kBadRequest, "metadata must be an object");
  std::string ns = str(md, "namespace");
  if (k.namespaced) {
    if (ns.empty()) ns = "default";
    if (auto p = dns_label_problem(ns); !p.empty())
      throw StoreError(Reason::kInvalid, "metadata.namespace \"" + ns + "\": " + p);
    if (!objects_.count("Namespace//" + ns))
      throw StoreError(Reason::kNotFound, "namespaces \"" + ns + "\" not found");
    md["namespace"] = ns;
  } else {
    md.erase("namespace");
  }
  std::string name = str(md, "name");
  bool generated = name.empty() && !str(md, "generateName").empty();
  for (int attempt = 0; generated && attempt < 8; ++attempt) {
    name = str(md, "generateName") + random_name_suffix();
    if (!objects_.count(key(k, ns, name))) break;
  }
  if (name.empty())
    throw StoreError(Reason::kInvalid, "metadata.name: Required value: name or generateName is required");
  auto problem = k.kind == "Namespace" ? dns_label_problem(name) : dns_subdomain_problem(name);
  if (!problem.empty()) throw StoreError(Reason::kInvalid, "metadata.name \"" + name + "\": " + problem);
  std::string ky = key(k, ns, name);
  if (objects_.count(ky))
    throw StoreError(Reason::kAlreadyExists, describe_object(k, name) + " already exists");

  md["name"] = name;
  md["uid"] = new_uid();
  md["creationTimestamp"] = k8s_time(clock_->wall());
  md.erase("deletionTimestamp");
  md.erase("deletionGracePeriodSeconds");
  if (obj.contains("spec"))
    md["generation"] = 1;
  else
    md.erase("generation");
  obj.erase("status");
  return commit(k, ky, std::move(obj), nullptr);
}

ObjectPtr ObjectStore::commit(const KindInfo& k, const std::string& ky, json obj, ObjectPtr old) {
  uint64_t rv = next_revision();
  obj["metadata"]["resourceVersion"] = std::to_string(rv);
  // Written before anything in memory changes, so a failed write changes nothing. Status has its own file.
  if (obj.contains("status")) {
    json on_disk = obj;
    on_disk.erase("status");
    write_object(k, on_disk);
  } else {
    write_object(k, obj);
  }
  auto ptr = std::make_shared<const json>(std::move(obj));
  auto& e = objects_[ky];
  e.obj = ptr;
  hub_->publish(std::move(old), ptr, rv);
  return ptr;
}

ObjectPtr ObjectStore::update(json obj) {
  const KindInfo& k = kind_of(obj);
  obj["apiVersion"] = k.api_version;
  json& md = obj["metadata"];
  if (!md.is_object()) throw StoreError(Reason::kBadRequest, "metadata must be an object");
  std::string ns = k.namespaced ? str(md, "namespace") : std::string();
  if (k.namespaced && ns.empty()) ns = "default";
  std::string name = str(md, "name");
  std::string ky = key(k, ns, name);
  auto it = objects_.find(ky);
  if (it == objects_.end()) throw StoreError(Reason::kNotFound, describe_object(k, name) + " not found");
  ObjectPtr old = it->second.obj;
  const json& omd = (*old)["metadata"];
  std::string want_rv = str(md, "resourceVersion");
  if (!want_rv.empty() && want_rv != str(omd, "resourceVersion")) conflict(k, name);
  std::string want_uid = str(md, "uid");
  if (!want_uid.empty() && want_uid != str(omd, "uid"))
    throw StoreError(Reason::kConflict, "Precondition failed: UID in object meta: " + want_uid +
                                            ", UID of the stored object: " + str(omd, "uid"));

  for (const char* f :
       {"uid", "creationTimestamp", "namespace", "deletionTimestamp", "deletionGracePeriodSeconds"}) {
    if (omd.contains(f))
      md[f] = omd[f];
    else
      md.erase(f);
  }
  md["resourceVersion"] = omd["resourceVersion"];
  if (obj.contains("spec") || old->contains("spec")) {
    int64_t gen = omd.value("generation", int64_t{0});
    bool changed = obj.value("spec", json()) != old->value("spec", json());
    md["generation"] = changed || gen == 0 ? gen + 1 : gen;
  }
  if (old->contains("status"))
    obj["status"] = (*old)["status"];
  else
    obj.erase("status");
  if (same_ignoring_rv(obj, *old)) return old;

  if (omd.contains("deletionTimestamp") && !has_finalizers(obj)) {
    really_delete(k, ky, old);
    return old;
  }
  return commit(k, ky, std::move(obj), old);
}

ObjectPtr ObjectStore::update_status(const std::string& kind, const std::string& ns, const std::string& name,
                                     json status, StatusWrite write,
                                     const std::optional<std::string>& want_rv) {
  const KindInfo& k = kind_named(kind);
  if (!k.has_status) throw StoreError(Reason::kBadRequest, std::string(k.plural) + " have no status");
  std::string ky = key(k, ns, name);
  auto it = objects_.find(ky);
  if (it == objects_.end()) throw StoreError(Reason::kNotFound, describe_object(k, name) + " not found");
  ObjectPtr old = it->second.obj;
  if (want_rv && !want_rv->empty() && *want_rv != str((*old)["metadata"], "resourceVersion"))
    conflict(k, name);
  if (old->value("status", json()) == status) return old;
  json obj = *old;
  obj["status"] = std::move(status);
  uint64_t rv = next_revision();
  obj["metadata"]["resourceVersion"] = std::to_string(rv);
  auto ptr = std::make_shared<const json>(std::move(obj));
  it->second.obj = ptr;
  hub_->publish(old, ptr, rv);
  if (write == StatusWrite::kDurable) mark_status_dirty(ky, it->second);
  return ptr;
}

ObjectPtr ObjectStore::remove(const std::string& kind, const std::string& ns, const std::string& name,
                              const DeleteOptions& opts) {
  const KindInfo& k = kind_named(kind);
  std::string ky = key(k, ns, name);
  auto it = objects_.find(ky);
  if (it == objects_.end()) throw StoreError(Reason::kNotFound, describe_object(k, name) + " not found");
  ObjectPtr old = it->second.obj;
  const json& omd = (*old)["metadata"];
  if (opts.resource_version && *opts.resource_version != str(omd, "resourceVersion")) conflict(k, name);
  if (opts.uid && *opts.uid != str(omd, "uid"))
    throw StoreError(Reason::kConflict, "Precondition failed: UID in precondition: " + *opts.uid +
                                            ", UID in object meta: " + str(omd, "uid"));
  if (!has_finalizers(*old)) {
    really_delete(k, ky, old);
    return old;
  }
  if (omd.contains("deletionTimestamp")) {
    // Already terminating: a shorter grace period may still be asked for, as Kubernetes allows.
    int64_t cur = omd.value("deletionGracePeriodSeconds", int64_t{-1});
    if (!opts.grace_period_seconds || (cur >= 0 && *opts.grace_period_seconds >= cur)) return old;
  }
  json obj = *old;
  if (!omd.contains("deletionTimestamp")) obj["metadata"]["deletionTimestamp"] = k8s_time(clock_->wall());
  if (opts.grace_period_seconds) obj["metadata"]["deletionGracePeriodSeconds"] = *opts.grace_period_seconds;
  return commit(k, ky, std::move(obj), old);
}

void ObjectStore::really_delete(const KindInfo& k, const std::string& ky, ObjectPtr last) {
  uint64_t rv = next_revision();
  const json& md = (*last)["metadata"];
  erase_files(k, str(md, "namespace"), str(md, "name"));
  objects_.erase(ky);
  dirty_.erase(ky);
  json gone = *last;
  gone["metadata"]["resourceVersion"] = std::to_string(rv);
  hub_->publish(std::make_shared<const json>(std::move(gone)), nullptr, rv);
}

WatchHub::Subscription ObjectStore::watch(Filter filter, std::optional<uint64_t> since,
                                          std::function<void(const WatchEvent&)> cb) {
  kind_named(filter.kind);
  return hub_->subscribe(std::move(filter), since, std::move(cb));
}

}  // namespace skiff::store
