#include "api/router.hpp"

#include <algorithm>

#include "error.hpp"

namespace skiff::api {
namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_param(const std::string& s) {
  return s.size() > 2 && s.front() == '{' && s.back() == '}';
}

}  // namespace

void Router::add(std::string method, const std::string& pattern, Handler handler) {
  if (pattern.empty() || pattern[0] != '/') throw Error("route pattern must start with '/': " + pattern);
  routes_.push_back({std::move(method), split_path(pattern), std::move(handler)});
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match best;
  auto segs = split_path(path);
  int best_score = -1;
  for (const auto& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    int score = 0;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      if (is_param(r.segments[i]))
        ok = !segs[i].empty();
      else if (r.segments[i] == segs[i])
        ++score;
      else
        ok = false;
    }
    if (!ok) continue;
    if (r.method != method) {
      if (std::find(best.allowed.begin(), best.allowed.end(), r.method) == best.allowed.end())
        best.allowed.push_back(r.method);
      continue;
    }
    if (score <= best_score) continue;
    best_score = score;
    best.handler = &r.handler;
    best.params.clear();
    for (size_t i = 0; i < segs.size(); ++i)
      if (is_param(r.segments[i])) best.params[r.segments[i].substr(1, r.segments[i].size() - 2)] = segs[i];
  }
  if (best.handler) best.allowed.clear();
  return best;
}

}  // namespace skiff::api
