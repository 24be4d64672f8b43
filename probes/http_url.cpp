#include "http_url.hpp"

#include <cctype>
#include <vector>

namespace skiff::probes {
namespace {

bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

// RFC 3986 pchar minus '%' (handled apart), plus '/' and '?' which separate segments and the query.
bool keep_as_is(unsigned char c) {
  if (std::isalnum(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':  // unreserved
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':  // sub-delims
    case '+':
    case ',':
    case ';':
    case '=':
    case ':':
    case '@':
    case '/':
    case '?':
      return true;
    default:
      return false;
  }
}

int default_port(const std::string& scheme) {
  return scheme == "https" ? 443 : 80;
}

// RFC 3986 §5.2.4.
std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string_view> out;
  bool absolute = !path.empty() && path.front() == '/';
  size_t pos = absolute ? 1 : 0;
  bool trailing_slash = false;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(pos, end - pos);
    bool last = end == path.size();
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
      trailing_slash = last;
    } else if (seg == ".") {
      trailing_slash = last;
    } else {
      out.push_back(seg);
      trailing_slash = false;
    }
    pos = end + 1;
  }
  std::string r = absolute ? "/" : "";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i) r += '/';
    r += out[i];
  }
  if (trailing_slash && (r.empty() || r.back() != '/')) r += '/';
  return r;
}

struct Parsed {
  std::string scheme;  // empty: relative reference
  bool has_authority = false;
  std::string host;
  int port = 0;
  bool port_given = false;
  std::string path;  // escaped
  bool has_query = false;
  std::string query;
};

bool parse_authority(std::string_view a, Parsed& p) {
  if (auto at = a.rfind('@'); at != std::string_view::npos) a = a.substr(at + 1);  // userinfo is not sent
  std::string_view port;
  if (!a.empty() && a.front() == '[') {
    size_t close = a.find(']');
    if (close == std::string_view::npos) return false;
    p.host = std::string(a.substr(1, close - 1));
    std::string_view rest = a.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
    }
  } else {
    size_t colon = a.rfind(':');
    if (colon != std::string_view::npos) {
      port = a.substr(colon + 1);
      a = a.substr(0, colon);
    }
    p.host = std::string(a);
  }
  for (char c : p.host)
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '\\' || c == '?' || c == '#') return false;
  if (!port.empty()) {
    if (port.size() > 5) return false;
    int n = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
      n = n * 10 + (c - '0');
    }
    if (n < 1 || n > 65535) return false;
    p.port = n;
    p.port_given = true;
  }
  return true;
}

std::optional<Parsed> parse_reference(std::string_view ref) {
  Parsed p;
  if (auto hash = ref.find('#'); hash != std::string_view::npos) ref = ref.substr(0, hash);
  // A scheme: letters first, up to the first ':' that comes before any '/', '?'.
  size_t colon = ref.find(':');
  size_t delim = ref.find_first_of("/?");
  if (colon != std::string_view::npos && colon > 0 && (delim == std::string_view::npos || colon < delim) &&
      std::isalpha(static_cast<unsigned char>(ref[0]))) {
    bool ok = true;
    for (size_t i = 0; i < colon; ++i) {
      char c = ref[i];
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') ok = false;
    }
    if (ok) {
      for (size_t i = 0; i < colon; ++i)
        p.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(ref[i])));
      ref = ref.substr(colon + 1);
    }
  }
  if (ref.substr(0, 2) == "//") {
    ref = ref.substr(2);
    size_t end = ref.find_first_of("/?");
    if (end == std::string_view::npos) end = ref.size();
    if (!parse_authority(ref.substr(0, end), p)) return std::nullopt;
    p.has_authority = true;
    ref = ref.substr(end);
  }
  size_t q = ref.find('?');
  p.path = escape_target(ref.substr(0, q));
  if (q != std::string_view::npos) {
    p.has_query = true;
    p.query = escape_target(ref.substr(q + 1));
  }
  return p;
}

std::string join_target(const std::string& path, bool has_query, const std::string& query) {
  std::string t = path.empty() ? "/" : path;
  if (t.front() != '/') t.insert(t.begin(), '/');
  if (has_query) t += "?" + query;
  return t;
}

}  // namespace

bool has_scheme(std::string_view ref) {
  size_t colon = ref.find(':');
  if (colon == std::string_view::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(ref[0])))
    return false;
  for (size_t i = 0; i < colon; ++i) {
    char c = ref[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

std::string escape_target(std::string_view raw) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(raw[i]);
    if (c == '%' && i + 2 < raw.size() && is_hex(raw[i + 1]) && is_hex(raw[i + 2])) {
      out += raw.substr(i, 3);
      i += 2;
    } else if (keep_as_is(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string HttpUrl::authority() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port_given) h += ":" + std::to_string(port);
  return h;
}

std::string HttpUrl::str() const {
  return scheme + "://" + authority() + target;
}

HttpUrl probe_url(bool https, const std::string& host, int port, const std::string& path) {
  HttpUrl u;
  u.scheme = https ? "https" : "http";
  u.host = host;
  u.port = port;
  u.port_given = true;
  // formatURL parses the path as a URL reference and then overwrites its scheme and host.
  auto p = parse_reference(path);
  if (p) {
    u.target = join_target(p->path, p->has_query, p->query);
  } else {
    u.target = join_target(escape_target(path), false, "");
  }
  return u;
}

std::optional<HttpUrl> resolve_location(const HttpUrl& base, std::string_view location) {
  auto ref = parse_reference(location);
  if (!ref) return std::nullopt;
  HttpUrl u = base;
  std::string base_path = base.target.substr(0, base.target.find('?'));
  if (!ref->scheme.empty() || ref->has_authority) {
    if (!ref->scheme.empty()) u.scheme = ref->scheme;
    if (ref->has_authority) {
      u.host = ref->host;
      u.port_given = ref->port_given;
      u.port = ref->port_given ? ref->port : default_port(u.scheme);
    } else if (!ref->scheme.empty() && ref->scheme != base.scheme) {
      return std::nullopt;  // "https:/x" without an authority: nothing to connect to
    }
    u.target = join_target(remove_dot_segments(ref->path), ref->has_query, ref->query);
    return u;
  }
  if (ref->path.empty()) {
    if (ref->has_query) u.target = join_target(base_path, true, ref->query);
    return u;  // otherwise the same resource again
  }
  std::string path;
  if (ref->path.front() == '/') {
    path = remove_dot_segments(ref->path);
  } else {
    path = remove_dot_segments(base_path.substr(0, base_path.rfind('/') + 1) + ref->path);
  }
  u.target = join_target(path, ref->has_query, ref->query);
  return u;
}

}  // namespace skiff::probes
