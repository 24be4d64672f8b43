#include "api/object_routes.hpp"

#include "api/server.hpp"
#include "store/kinds.hpp"

namespace skiff::api {
namespace {

using nlohmann::json;
using store::Reason;
using store::StoreError;
using ExPtr = std::shared_ptr<Exchange>;

std::string prefix_of(const store::KindInfo& k) {
  auto group = store::api_group(k);
  return group.empty() ? "/api/" + std::string(k.api_version) : "/apis/" + std::string(k.api_version);
}

void respond_error(const ExPtr& ex, const StoreError& e) {
  ex->respond_status(store::reason_code(e.reason()), store::reason_name(e.reason()), e.what());
}

json parse_body(const ExPtr& ex) {
  const std::string* ct = ex->request().header("content-type");
  if (ct && ct->find("json") == std::string::npos)
    throw StoreError(Reason::kBadRequest, "the body must be JSON (Content-Type " + *ct + ")");
  try {
    return json::parse(ex->request().body);
  } catch (const json::parse_error& e) {
    throw StoreError(Reason::kBadRequest, std::string("the body is not valid JSON: ") + e.what());
  }
}

struct Selection {
  store::Filter filter;
  store::EventQuery events;
};

// labelSelector and fieldSelector into a filter; unsupported field selectors are refused by name.
Selection selection(const ExPtr& ex, const store::KindInfo& k) {
  const Request& r = ex->request();
  Selection s;
  s.filter.kind = std::string(k.kind);
  auto p = r.params.find("namespace");
  if (p != r.params.end()) s.filter.ns = s.events.ns = p->second;
  if (const std::string* ls = r.query_param("labelSelector")) {
    try {
      s.filter.labels = manifest::Selector::parse(*ls);
    } catch (const Error& e) {
      throw StoreError(Reason::kBadRequest, e.what());
    }
  }
  if (const std::string* fs = r.query_param("fieldSelector")) {
    std::string_view rest(*fs);
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string term(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      auto eq = term.find('=');
      if (eq == std::string::npos || term.find("!=") != std::string::npos)
        throw StoreError(Reason::kBadRequest,
                         "field selector \"" + term + "\": only field=value is supported");
      std::string field = term.substr(0, eq), value = term.substr(term[eq + 1] == '=' ? eq + 2 : eq + 1);
      if (field == "metadata.name")
        s.filter.name = value;
      else if (field == "metadata.namespace")
        s.filter.ns = s.events.ns = value;
      else if (k.kind == "Event" && field == "involvedObject.kind")
        s.events.kind = value;
      else if (k.kind == "Event" && field == "involvedObject.name")
        s.events.name = value;
      else if (k.kind == "Event" && field == "involvedObject.uid")
        s.events.uid = value;
      else if (k.kind == "Event" && field == "involvedObject.namespace")
        s.events.ns = value;
      else
        throw StoreError(Reason::kBadRequest, "field label not supported: " + field);
    }
  }
  return s;
}

json list_object(const store::KindInfo& k, const std::vector<store::ObjectPtr>& items, uint64_t rv) {
  json out = {{"kind", std::string(k.kind) + "List"},
              {"apiVersion", k.api_version},
              {"metadata", {{"resourceVersion", std::to_string(rv)}}},
              {"items", json::array()}};
  for (const auto& o : items) out["items"].push_back(*o);
  return out;
}

bool event_matches(const store::EventQuery& q, const json& ev) {
  const json& ref = ev["involvedObject"];
  return (q.ns.empty() || ev["metadata"].value("namespace", "") == q.ns) &&
         (q.kind.empty() || ref.value("kind", "") == q.kind) &&
         (q.name.empty() || ref.value("name", "") == q.name) &&
         (q.uid.empty() || ref.value("uid", "") == q.uid);
}

class Routes {
 public:
  explicit Routes(ObjectApi& api) : api_(api) {}

  void list(const ExPtr& ex, const store::KindInfo& k) {
    Selection s = selection(ex, k);
    std::vector<store::ObjectPtr> items;
    uint64_t rv = api_.store.resource_version();
    if (k.kind == "Event") {
      if (api_.events)
        for (auto& e : api_.events->list(s.events))
          if (s.filter.name.empty() || (*e)["metadata"].value("name", "") == s.filter.name)
            items.push_back(e);
    } else {
      auto l = api_.store.list(s.filter);
      items = std::move(l.items);
      rv = l.resource_version;
    }
    if (ex->request().query_flag("watch")) return watch(ex, k, s, items, rv);
    ex->respond_json(200, list_object(k, items, rv));
  }

  void watch(const ExPtr& ex, const store::KindInfo& k, const Selection& s,
             const std::vector<store::ObjectPtr>& now, uint64_t rv) {
    std::optional<uint64_t> since;
    const std::string* want = ex->request().query_param("resourceVersion");
    if (want && !want->empty() && *want != "0") {
      try {
        since = std::stoull(*want);
      } catch (const std::exception&) {
        throw StoreError(Reason::kBadRequest, "resourceVersion \"" + *want + "\" is not a number");
      }
    }
    auto holder = std::make_shared<store::WatchHub::Subscription>();
    std::weak_ptr<Exchange> weak = ex;
    auto query = s.events;
    bool is_event = k.kind == "Event";
    *holder = api_.store.watch(
        s.filter, since ? since : std::optional<uint64_t>(rv),
        [weak, query, is_event](const store::WatchEvent& e) {
          auto x = weak.lock();
          if (!x) return;
          if (is_event && e.type != store::EventType::kError && !event_matches(query, *e.object)) return;
          if (!x->write(watch_line(store::event_type_name(e.type), *e.object))) return;
          if (e.type == store::EventType::kError) x->end_stream();
        });
    json gone =
        store::status_object(410, "Expired", "watch ended: the client is too slow to read its events");
    ex->start_stream(200, "application/json", watch_line("ERROR", gone));
    ex->on_close([holder] { holder->reset(); });
    if (!since)  // Kubernetes: a watch without a resourceVersion starts with the current state as ADDED
      for (const auto& o : now)
        if (!is_event || event_matches(s.events, *o))
          if (!ex->write(watch_line("ADDED", *o))) return;
    if (const std::string* t = ex->request().query_param("timeoutSeconds")) {
      long secs = std::strtol(t->c_str(), nullptr, 10);
      if (secs > 0)
        api_.loop.after(std::chrono::seconds(secs), [weak, holder] {
          holder->reset();
          if (auto x = weak.lock()) x->end_stream();
        });
    }
  }

  void get(const ExPtr& ex, const store::KindInfo& k) {
    auto o = api_.store.get(std::string(k.kind), param(ex, "namespace"), param(ex, "name"));
    if (!o) throw StoreError(Reason::kNotFound, store::describe_object(k, param(ex, "name")) + " not found");
    ex->respond_json(200, *o);
  }

  void create(const ExPtr& ex, const store::KindInfo& k) {
    json obj = parse_body(ex);
    check_identity(ex, k, obj, false);
    admit(k, obj, nullptr);
    ex->respond_json(201, *api_.store.create(std::move(obj)));
  }

  void replace(const ExPtr& ex, const store::KindInfo& k) {
    json obj = parse_body(ex);
    check_identity(ex, k, obj, true);
    auto old = api_.store.get(std::string(k.kind), param(ex, "namespace"), param(ex, "name"));
    if (!old)
      throw StoreError(Reason::kNotFound, store::describe_object(k, param(ex, "name")) + " not found");
    admit(k, obj, old.get());
    ex->respond_json(200, *api_.store.update(std::move(obj)));
  }

  void patch(const ExPtr& ex, const store::KindInfo& k) {
    auto old = api_.store.get(std::string(k.kind), param(ex, "namespace"), param(ex, "name"));
    if (!old)
      throw StoreError(Reason::kNotFound, store::describe_object(k, param(ex, "name")) + " not found");
    const std::string* ct = ex->request().header("content-type");
    std::string type = ct ? ct->substr(0, ct->find(';')) : "";
    json body = parse_body(ex);
    json obj = *old;
    if (type == "application/merge-patch+json") {
      obj.merge_patch(body);
    } else if (type == "application/json-patch+json") {
      try {
        obj = obj.patch(body);
      } catch (const json::exception& e) {
        throw StoreError(Reason::kInvalid, std::string("the JSON patch does not apply: ") + e.what());
      }
    } else {
      ex->respond_status(
          415, "UnsupportedMediaType",
          "PATCH takes application/merge-patch+json or application/json-patch+json, not \"" + type + "\"");
      return;
    }
    check_identity(ex, k, obj, true);
    admit(k, obj, old.get());
    ex->respond_json(200, *api_.store.update(std::move(obj)));
  }

  void remove(const ExPtr& ex, const store::KindInfo& k) {
    store::DeleteOptions opts;
    if (!ex->request().body.empty()) {
      json o = parse_body(ex);
      if (o.contains("gracePeriodSeconds") && o["gracePeriodSeconds"].is_number_integer())
        opts.grace_period_seconds = o["gracePeriodSeconds"].get<int64_t>();
      if (auto p = o.find("preconditions"); p != o.end() && p->is_object()) {
        if (p->contains("resourceVersion"))
          opts.resource_version = (*p)["resourceVersion"].get<std::string>();
        if (p->contains("uid")) opts.uid = (*p)["uid"].get<std::string>();
      }
    }
    if (const std::string* g = ex->request().query_param("gracePeriodSeconds"))
      opts.grace_period_seconds = std::strtoll(g->c_str(), nullptr, 10);
    ex->respond_json(
        200, *api_.store.remove(std::string(k.kind), param(ex, "namespace"), param(ex, "name"), opts));
  }

  void put_status(const ExPtr& ex, const store::KindInfo& k) {
    json obj = parse_body(ex);
    check_identity(ex, k, obj, true);
    std::optional<std::string> rv;
    if (obj["metadata"].contains("resourceVersion"))
      rv = obj["metadata"]["resourceVersion"].get<std::string>();
    ex->respond_json(200, *api_.store.update_status(std::string(k.kind), param(ex, "namespace"),
                                                    param(ex, "name"), obj.value("status", json::object()),
                                                    store::StatusWrite::kDurable, rv));
  }

 private:
  static std::string param(const ExPtr& ex, const char* name) {
    auto it = ex->request().params.find(name);
    return it == ex->request().params.end() ? std::string() : it->second;
  }

  // The body names the same kind, namespace (and name) as the path, or leaves them out.
  static void check_identity(const ExPtr& ex, const store::KindInfo& k, json& obj, bool named) {
    if (!obj.is_object()) throw StoreError(Reason::kBadRequest, "the body must be a JSON object");
    if (obj.contains("kind") && obj["kind"] != k.kind)
      throw StoreError(Reason::kBadRequest,
                       "the body is a " + obj["kind"].dump() + ", this path serves " + std::string(k.plural));
    obj["kind"] = k.kind;
    if (!obj.contains("apiVersion")) obj["apiVersion"] = k.api_version;
    json& md = obj["metadata"];
    if (md.is_null()) md = json::object();
    if (k.namespaced) {
      std::string ns = param(ex, "namespace");
      if (md.contains("namespace") && md["namespace"] != ns)
        throw StoreError(
            Reason::kBadRequest,
            "the namespace of the provided object does not match the namespace sent on the request");
      md["namespace"] = ns;
    }
    if (named) {
      std::string name = param(ex, "name");
      if (md.contains("name") && md["name"] != name)
        throw StoreError(Reason::kBadRequest, "the name of the object (" + md["name"].dump() +
                                                  ") does not match the name on the URL (" + name + ")");
      md["name"] = name;
    }
  }

  void admit(const store::KindInfo& k, json& obj, const json* old) {
    auto it = api_.admit.find(std::string(k.kind));
    if (it != api_.admit.end() && it->second) it->second(obj, old);
  }

  ObjectApi& api_;
};

// Wraps a handler: store errors become their Status, anything else a 500 naming it.
Handler guarded(std::shared_ptr<Routes> r, void (Routes::*fn)(const ExPtr&, const store::KindInfo&),
                const store::KindInfo& k) {
  return [r, fn, &k](const ExPtr& ex) {
    try {
      ((*r).*fn)(ex, k);
    } catch (const StoreError& e) {
      respond_error(ex, e);
    } catch (const json::exception& e) {
      ex->respond_status(400, "BadRequest", std::string("malformed object: ") + e.what());
    }
  };
}

}  // namespace

std::string watch_line(const std::string& type, const json& object) {
  json line = {{"type", type}, {"object", object}};
  return line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

void add_object_routes(Router& router, ObjectApi& api) {
  auto r = std::make_shared<Routes>(api);
  for (const auto& k : store::known_kinds()) {
    std::string base = prefix_of(k);
    std::string plural(k.plural);
    std::string coll = k.namespaced ? base + "/namespaces/{namespace}/" + plural : base + "/" + plural;
    std::string item = coll + "/{name}";
    router.add("GET", coll, guarded(r, &Routes::list, k));
    if (k.namespaced) router.add("GET", base + "/" + plural, guarded(r, &Routes::list, k));
    if (k.kind == "Event") continue;  // recorded in-process only
    router.add("POST", coll, guarded(r, &Routes::create, k));
    router.add("GET", item, guarded(r, &Routes::get, k));
    router.add("PUT", item, guarded(r, &Routes::replace, k));
    router.add("PATCH", item, guarded(r, &Routes::patch, k));
    router.add("DELETE", item, guarded(r, &Routes::remove, k));
    if (k.has_status) {
      router.add("GET", item + "/status", guarded(r, &Routes::get, k));
      router.add("PUT", item + "/status", guarded(r, &Routes::put_status, k));
    }
  }
  router.add("GET", "/healthz", [](const ExPtr& ex) { ex->respond(200, "ok", "text/plain"); });
  router.add("GET", "/version", [](const ExPtr& ex) {
    ex->respond_json(200,
                     {{"major", "1"}, {"minor", "0"}, {"gitVersion", "skiff-0.1.0"}, {"platform", "linux"}});
  });
  router.add("GET", "/api", [](const ExPtr& ex) {
    ex->respond_json(
        200, {{"kind", "APIVersions"}, {"versions", {"v1"}}, {"serverAddressByClientCIDRs", json::array()}});
  });
  router.add("GET", "/apis", [](const ExPtr& ex) {
    json groups = json::array();
    std::vector<std::string> seen;
    for (const auto& k : store::known_kinds()) {
      std::string g(store::api_group(k));
      if (g.empty() || std::find(seen.begin(), seen.end(), g) != seen.end()) continue;
      seen.push_back(g);
      json v = {{"groupVersion", k.api_version},
                {"version", std::string(k.api_version.substr(g.size() + 1))}};
      groups.push_back({{"name", g}, {"versions", {v}}, {"preferredVersion", v}});
    }
    ex->respond_json(200, {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}});
  });
}

}  // namespace skiff::api
