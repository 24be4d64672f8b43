// Router: request method + path pattern -> handler, with path parameters ("{namespace}", "{name}")
// for the paths Kubernetes' API uses (/api/v1/namespaces/{namespace}/pods/{name},
// /apis/apps/v1/namespaces/{namespace}/deployments, /api/v1/pods). A literal segment wins over a
// parameter where two patterns match. Built at start-up, then only read: a const Router may be used
// from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/http_message.hpp"

namespace skiff::api {

class Exchange;
using Handler = std::function<void(const std::shared_ptr<Exchange>&)>;

class Router {
 public:
  // `pattern` is a path of '/'-separated segments, each literal or "{param}".
  void add(std::string method, const std::string& pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;           // null: no route for this method and path
    std::map<std::string, std::string> params;  // for the handler's request
    std::vector<std::string> allowed;           // methods the path has, when the method has none (405)
  };
  Match match(const std::string& method, const std::string& path) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace skiff::api
