#include "controller/namespace_controller.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace skiff::controller {
namespace {

using manifest::Namespace;

// How often a Namespace whose content is still going is looked at again when no deletion event comes
// (an object with a finalizer nobody removes): upstream requeues by an estimate of the grace periods.
constexpr std::chrono::seconds kRecheck{15};

// Every kind skiff keeps in a namespace makes its plural with an "s".
std::string plural_of(std::string_view kind) {
  std::string s(kind);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s + "s";
}

// The resource names of kinds: "pods.", "deployments.apps" as the namespace controller prints them.
std::string resource_name(const manifest::Object& o) {
  std::string api(manifest::api_version_of(o));
  auto slash = api.find('/');
  std::string group = slash == std::string::npos ? "" : api.substr(0, slash);
  return plural_of(manifest::kind_of(o)) + "." + group;
}

void set_ns_condition(manifest::NamespaceStatus& s, std::string type, std::string status, std::string reason,
                      std::string message, WallTime now) {
  for (auto& c : s.conditions) {
    if (c.type != type) continue;
    if (c.status != status) c.last_transition_time = to_time(now);
    c.status = std::move(status);
    c.reason = std::move(reason);
    c.message = std::move(message);
    return;
  }
  manifest::Condition c;
  c.type = std::move(type);
  c.status = std::move(status);
  c.reason = std::move(reason);
  c.message = std::move(message);
  c.last_transition_time = to_time(now);
  s.conditions.push_back(std::move(c));
}

std::string name_of_key(const std::string& key) {
  auto slash = key.rfind('/');
  return slash == std::string::npos ? key : key.substr(slash + 1);
}

}  // namespace

NamespaceController::NamespaceController(const ObjectCache& cache, Client& client, const Clock& clock,
                                         Enqueue enqueue)
    : cache_(cache), client_(client), clock_(clock), enqueue_(std::move(enqueue)) {}

SyncResult NamespaceController::sync(const std::string& key) {
  std::string name = name_of_key(key);
  auto ns = cache_.get<Namespace>("", name);
  try {
    if (!ns) {
      if (!deleted_.count(name)) return {};
      auto r = delete_content(name, nullptr);
      if (r.ok()) deleted_.erase(name);
      return r;
    }
    if (!ns->metadata.deletion_timestamp) {
      if (ns->status.phase != "Active") {
        Namespace copy = *ns;
        copy.status.phase = "Active";
        client_.update_status_typed(copy, true);
      }
      return {};
    }
    Namespace copy = *ns;
    return delete_content(name, &copy);
  } catch (const ClientError& e) {
    return SyncResult{std::nullopt, e.what()};
  }
}

SyncResult NamespaceController::delete_content(const std::string& ns, Namespace* terminating) {
  WallTime now = clock_.wall();
  std::map<std::string, int> remaining;        // resource -> count
  std::map<std::string, int> with_finalizers;  // finalizer -> count
  for (const auto& obj : cache_.in_namespace(ns)) {
    const auto& m = manifest::meta_of(*obj);
    ++remaining[resource_name(*obj)];
    for (const auto& f : m.finalizers) ++with_finalizers[f];
    if (m.deletion_timestamp) continue;
    try {
      client_.remove(manifest::kind_of(*obj), ns, m.name, RemoveOptions{m.uid, "Background"});
    } catch (const ClientError& e) {
      if (!is_not_found(e)) throw;
    }
  }
  if (!terminating) return {};
  Namespace& n = *terminating;
  Namespace before = n;
  n.status.phase = "Terminating";
  if (remaining.empty()) {
    set_ns_condition(n.status, "NamespaceContentRemaining", "False", "ContentRemoved",
                     "All content successfully removed", now);
    set_ns_condition(n.status, "NamespaceFinalizersRemaining", "False", "ContentHasNoFinalizers",
                     "All content-preserving finalizers finished", now);
  } else {
    std::string msg = "Some resources are remaining: ";
    bool first = true;
    for (const auto& [res, count] : remaining) {
      msg += (first ? "" : ", ") + res + " has " + std::to_string(count) + " resource instances";
      first = false;
    }
    set_ns_condition(n.status, "NamespaceContentRemaining", "True", "SomeResourcesRemain", msg, now);
    if (!with_finalizers.empty()) {
      std::string fmsg = "Some content in the namespace has finalizers remaining: ";
      first = true;
      for (const auto& [f, count] : with_finalizers) {
        fmsg += (first ? "" : ", ") + f + " in " + std::to_string(count) + " resource instances";
        first = false;
      }
      set_ns_condition(n.status, "NamespaceFinalizersRemaining", "True", "SomeFinalizersRemain", fmsg, now);
    }
  }
  if (!(n.status == before.status)) n = client_.update_status_typed(n, true);
  if (!remaining.empty()) return SyncResult{std::chrono::milliseconds(kRecheck), {}};
  finalize(n);
  return {};
}

void NamespaceController::finalize(Namespace ns) {
  auto drop = [](std::vector<std::string>& v) {
    auto before = v.size();
    std::erase(v, std::string(kNamespaceFinalizer));
    return v.size() != before;
  };
  bool spec = drop(ns.spec.finalizers);
  bool meta = drop(ns.metadata.finalizers);
  if (spec || meta) client_.update_typed(ns);
}

void NamespaceController::namespace_changed(const Namespace& ns) {
  enqueue_("/" + ns.metadata.name, {});
}

void NamespaceController::namespace_deleted(const Namespace& ns) {
  deleted_.insert(ns.metadata.name);
  enqueue_("/" + ns.metadata.name, {});
}

void NamespaceController::object_deleted(const manifest::ObjectMeta& meta) {
  if (meta.namespace_.empty()) return;
  auto ns = cache_.get<Namespace>("", meta.namespace_);
  if ((!ns && deleted_.count(meta.namespace_)) || (ns && ns->metadata.deletion_timestamp))
    enqueue_("/" + meta.namespace_, {});
}

}  // namespace skiff::controller
