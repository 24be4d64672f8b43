#include "auth.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "file_util.hpp"
#include "http_client.hpp"

namespace skiff::image {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

// "https://index.docker.io/v1/" -> "index.docker.io"; "http://host:5000/" -> "host:5000".
std::string host_of_key(std::string key) {
  auto scheme = key.find("://");
  if (scheme != std::string::npos) key = key.substr(scheme + 3);
  auto slash = key.find('/');
  if (slash != std::string::npos) key = key.substr(0, slash);
  return key;
}

bool key_matches(const std::string& key, const std::string& registry) {
  std::string host = host_of_key(key);
  if (host == registry) return true;
  if (registry == "docker.io")
    return host == "index.docker.io" || host == "registry-1.docker.io" || host == "docker.io";
  return false;
}

}  // namespace

std::optional<Credentials> credentials_from_file(const std::string& file, const std::string& registry) {
  if (!exists(file)) return std::nullopt;
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(read_file(file));
  } catch (const nlohmann::json::exception& e) {
    throw Error("credentials file " + file + ": " + e.what());
  }
  if (!doc.is_object() || !doc.contains("auths") || !doc["auths"].is_object()) return std::nullopt;
  for (const auto& [key, entry] : doc["auths"].items()) {
    if (!key_matches(key, registry) || !entry.is_object()) continue;
    Credentials c;
    if (entry.contains("auth") && entry["auth"].is_string() && !entry["auth"].get<std::string>().empty()) {
      std::string decoded;
      try {
        decoded = base64_decode(entry["auth"].get<std::string>());
      } catch (const Error&) {
        throw Error("credentials file " + file + ": entry \"" + key + "\": \"auth\" is not base64");
      }
      auto colon = decoded.find(':');
      if (colon == std::string::npos)
        throw Error("credentials file " + file + ": entry \"" + key + "\": \"auth\" is not user:password");
      c.username = decoded.substr(0, colon);
      c.password = decoded.substr(colon + 1);
    }
    if (entry.contains("username") && entry["username"].is_string())
      c.username = entry["username"].get<std::string>();
    if (entry.contains("password") && entry["password"].is_string())
      c.password = entry["password"].get<std::string>();
    if (entry.contains("identitytoken") && entry["identitytoken"].is_string())
      c.identity_token = entry["identitytoken"].get<std::string>();
    if (c.username.empty() && c.identity_token.empty()) continue;
    return c;
  }
  return std::nullopt;
}

std::optional<Credentials> find_credentials(const std::string& registry) {
  std::vector<std::string> files;
  if (!env("SKIFF_AUTH_FILE").empty()) files.push_back(env("SKIFF_AUTH_FILE"));
  std::string home = env("HOME");
  std::string xdg = env("XDG_CONFIG_HOME");
  if (xdg.empty() && !home.empty()) xdg = home + "/.config";
  if (!xdg.empty()) files.push_back(xdg + "/skiff/auth.json");
  if (!env("REGISTRY_AUTH_FILE").empty()) files.push_back(env("REGISTRY_AUTH_FILE"));
  std::string docker = env("DOCKER_CONFIG");
  if (docker.empty() && !home.empty()) docker = home + "/.docker";
  if (!docker.empty()) files.push_back(docker + "/config.json");
  for (const auto& f : files)
    if (auto c = credentials_from_file(f, registry)) return c;
  return std::nullopt;
}

std::optional<Challenge> parse_challenge(const std::string& header) {
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < header.size() && std::isspace(static_cast<unsigned char>(header[i]))) ++i;
  };
  skip_ws();
  size_t start = i;
  while (i < header.size() && !std::isspace(static_cast<unsigned char>(header[i]))) ++i;
  if (i == start) return std::nullopt;
  Challenge ch;
  ch.scheme = header.substr(start, i - start);
  std::transform(ch.scheme.begin(), ch.scheme.end(), ch.scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (;;) {
    skip_ws();
    while (i < header.size() && header[i] == ',') {
      ++i;
      skip_ws();
    }
    if (i >= header.size()) break;
    size_t ks = i;
    while (i < header.size() && header[i] != '=' && header[i] != ',' &&
           !std::isspace(static_cast<unsigned char>(header[i])))
      ++i;
    std::string key = header.substr(ks, i - ks);
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    skip_ws();
    if (i >= header.size() || header[i] != '=') {
      if (key.empty()) return std::nullopt;
      continue;  // a token68 or a bare word: nothing we use
    }
    ++i;
    skip_ws();
    std::string value;
    if (i < header.size() && header[i] == '"') {
      ++i;
      while (i < header.size() && header[i] != '"') {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        value += header[i++];
      }
      if (i >= header.size()) return std::nullopt;  // unterminated quote
      ++i;
    } else {
      while (i < header.size() && header[i] != ',' && !std::isspace(static_cast<unsigned char>(header[i])))
        value += header[i++];
    }
    ch.params[key] = value;
  }
  return ch;
}

}  // namespace skiff::image
