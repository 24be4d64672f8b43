// Registry authentication: where credentials come from, and the WWW-Authenticate challenges a registry
// answers with (distribution spec's token flow: Bearer realm/service/scope, or plain Basic).
#pragma once

#include <map>
#include <optional>
#include <string>

namespace skiff::image {

struct Credentials {
  std::string username, password;
  // An identity token (Docker's "identitytoken") is sent to the token service as a refresh token.
  std::string identity_token;
};

// Credentials for `registry` ("host:port" as in references; docker.io also matches Docker's
// "https://index.docker.io/v1/" key). Looked up in order in $SKIFF_AUTH_FILE,
// $XDG_CONFIG_HOME/skiff/auth.json
// (~/.config/skiff/auth.json), $REGISTRY_AUTH_FILE, and $DOCKER_CONFIG/config.json (~/.docker/config.json).
// A file that exists but cannot be parsed is an error naming it.
std::optional<Credentials> find_credentials(const std::string& registry);
// Same, reading only `file` (for tests and --authfile).
std::optional<Credentials> credentials_from_file(const std::string& file, const std::string& registry);

struct Challenge {
  std::string scheme;                         // "bearer" or "basic" (lower case)
  std::map<std::string, std::string> params;  // realm, service, scope, error ...
  std::string param(const std::string& k) const {
    auto it = params.find(k);
    return it == params.end() ? std::string() : it->second;
  }
};

// Parses a WWW-Authenticate header value (RFC 7235: scheme, then comma-separated key=value or
// key="quoted value"). Returns nothing for an empty or unparseable header.
std::optional<Challenge> parse_challenge(const std::string& header);

}  // namespace skiff::image
