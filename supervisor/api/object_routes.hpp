// The Kubernetes-shaped REST surface over the store, for every kind in store/kinds.hpp:
//   GET    /api/v1/pods                                  list (all namespaces); ?watch=1 streams
//   GET    /api/v1/namespaces/{namespace}/pods           list in a namespace; ?watch=1
//   POST   /api/v1/namespaces/{namespace}/pods           create (201)
//   GET|PUT|PATCH|DELETE /api/v1/namespaces/{namespace}/pods/{name}
//   GET|PUT /api/v1/namespaces/{namespace}/pods/{name}/status   (kinds with a status)
//   the same under /apis/apps/v1/... for Deployments and ReplicaSets (each kind at its apiVersion),
//   cluster-scoped kinds (Namespace, Node) without the namespaces/{namespace} part;
//   Events (GET, list and watch) from the EventRecorder, with the fieldSelector kubectl describe sends
//   (involvedObject.kind/name/namespace/uid).
// Query parameters as the API server reads them: labelSelector, fieldSelector (metadata.name,
// metadata.namespace), watch, resourceVersion (a watch from it), timeoutSeconds (a watch's end),
// gracePeriodSeconds (DELETE). PATCH takes application/merge-patch+json and application/json-patch+json.
// Errors are Status objects with the store's reason (NotFound 404, AlreadyExists/Conflict 409, ...).
// Also GET /healthz, /version, /api and /apis.
// Handlers run on the loop thread; everything here uses the store from that thread only.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "api/router.hpp"
#include "event_loop.hpp"
#include "store/events.hpp"
#include "store/object_store.hpp"

namespace skiff::api {

struct ObjectApi {
  EventLoop& loop;
  store::ObjectStore& store;
  store::EventRecorder* events = nullptr;
  // Per kind, called before create and update with the object to store (defaults may be filled in)
  // and the stored one (null on create). Throw store::StoreError(kInvalid, "spec.x: ...") to refuse.
  // The manifest code's validation plugs in here.
  std::map<std::string, std::function<void(nlohmann::json& obj, const nlohmann::json* old)>> admit;
};

// `api` must outlive the router's use.
void add_object_routes(Router& router, ObjectApi& api);

// One watch stream line: {"type":"ADDED","object":{...}}\n
std::string watch_line(const std::string& type, const nlohmann::json& object);

}  // namespace skiff::api
