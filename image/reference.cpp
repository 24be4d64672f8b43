#include "reference.hpp"

#include <cctype>

#include "digest.hpp"
#include "error.hpp"

namespace skiff::image {
namespace {

[[noreturn]] void bad(std::string_view text, const std::string& why) {
  throw Error("invalid reference \"" + std::string(text) + "\": " + why);
}

bool is_alnum_lower(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* (the distribution reference grammar).
bool valid_component(std::string_view c) {
  if (c.empty() || !is_alnum_lower(c.front()) || !is_alnum_lower(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (is_alnum_lower(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !is_alnum_lower(c[j])) ++j;
    std::string_view sep = c.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" || sep.find_first_not_of('-') == std::string_view::npos;
    if (!ok) return false;
    i = j;
  }
  return true;
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(t[0])) return false;
  for (char c : t)
    if (!word(c) && c != '.' && c != '-') return false;
  return true;
}

bool valid_host(std::string_view h) {
  if (h.empty()) return false;
  if (h.front() == '[') {  // [ipv6]:port
    auto close = h.find(']');
    if (close == std::string_view::npos) return false;
    auto rest = h.substr(close + 1);
    if (!rest.empty() && (rest[0] != ':' || rest.size() == 1)) return false;
    return true;
  }
  auto colon = h.rfind(':');
  std::string_view host = h.substr(0, colon), port;
  if (colon != std::string_view::npos) port = h.substr(colon + 1);
  if (colon != std::string_view::npos &&
      (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos))
    return false;
  if (host.empty()) return false;
  for (char c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
  return true;
}

}  // namespace

Reference Reference::parse(std::string_view text) {
  if (text.empty()) bad(text, "empty");
  if (text.size() > 4096) bad(text.substr(0, 64), "too long");
  Reference r;
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    std::string_view d = rest.substr(at + 1);
    if (!Digest::valid(d))
      bad(text, "bad digest \"" + std::string(d) + "\" (want sha256:<64 lowercase hex>)");
    r.digest = std::string(d);
    rest = rest.substr(0, at);
  }
  // The tag is after the last ':' that follows the last '/' (a ':' before it is a port).
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view t = rest.substr(colon + 1);
    if (!valid_tag(t)) bad(text, "bad tag \"" + std::string(t) + "\"");
    r.tag = std::string(t);
    rest = rest.substr(0, colon);
  }
  std::string_view name = rest;
  auto first_slash = name.find('/');
  std::string_view first = name.substr(0, first_slash);
  // Like Docker: the first component is a registry if it looks like a host (has '.' or ':', or is
  // "localhost"); otherwise the image lives on Docker Hub.
  if (first_slash != std::string_view::npos &&
      (first.find_first_of(".:[") != std::string_view::npos || first == "localhost")) {
    if (!valid_host(first)) bad(text, "bad registry host \"" + std::string(first) + "\"");
    r.registry = std::string(first);
    name = name.substr(first_slash + 1);
  } else {
    r.registry = "docker.io";
  }
  if (r.registry == "index.docker.io" || r.registry == "registry-1.docker.io") r.registry = "docker.io";
  if (name.empty()) bad(text, "missing repository name");
  size_t start = 0;
  for (;;) {
    auto end = name.find('/', start);
    std::string_view comp = name.substr(start, end == std::string_view::npos ? end : end - start);
    if (!valid_component(comp)) {
      bool upper = false;
      for (char c : comp) upper |= (c >= 'A' && c <= 'Z');
      bad(text, upper ? "repository name must be lowercase"
                      : "bad repository name component \"" + std::string(comp) + "\"");
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  r.repository = std::string(name);
  if (r.registry == "docker.io" && r.repository.find('/') == std::string::npos)
    r.repository = "library/" + r.repository;
  if (r.name().size() > 255) bad(text, "name longer than 255 characters");
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

std::string Reference::str() const {
  std::string s = name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string Reference::api_host() const {
  return registry == "docker.io" ? "registry-1.docker.io" : registry;
}

bool Reference::is_loopback() const {
  std::string host = registry;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') - 1);
    return host == "::1";
  }
  host = host.substr(0, host.find(':'));
  return host == "localhost" || host.rfind("127.", 0) == 0;
}

}  // namespace skiff::image
