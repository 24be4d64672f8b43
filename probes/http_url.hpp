// The URLs an httpGet probe requests: the first one built from the probe's fields as the kubelet's
// formatURL does, later ones from a redirect's Location resolved against the previous (RFC 3986 §5.2,
// as Go's URL.ResolveReference).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace skiff::probes {

struct HttpUrl {
  std::string scheme = "http";  // "http" or "https"; a redirect may name another, which then fails
  std::string host;             // a name or an address (IPv6 without brackets)
  int port = 0;                 // the port to connect to
  bool port_given = true;       // written in the URL (false: the scheme's default)
  std::string target = "/";     // path and query, escaped for the request line

  // host[:port] as in a Host header (IPv6 in brackets).
  std::string authority() const;
  // scheme://authority/target: how the kubelet's messages show the URL.
  std::string str() const;
};

// The probe's URL: `path` as written in the probe (escaped where a request line needs it, a leading
// "/" added), `host` and `port` already resolved.
HttpUrl probe_url(bool https, const std::string& host, int port, const std::string& path);

// `location` (a Location header) resolved against `base`; nullopt when it cannot be parsed.
std::optional<HttpUrl> resolve_location(const HttpUrl& base, std::string_view location);

// Whether a URL reference names its scheme ("http://x/", "HTTPS:..."), i.e. is absolute.
bool has_scheme(std::string_view ref);

// Percent-escapes what may not appear in a request line's path or query: spaces, controls, non-ASCII,
// and a '%' not starting an escape. What is already valid is kept as written.
std::string escape_target(std::string_view raw);

}  // namespace skiff::probes
