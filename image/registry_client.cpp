#include "registry_client.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "error.hpp"

namespace skiff::image {

namespace {

constexpr size_t kMaxManifestBytes = 4u << 20;  // the distribution spec's recommended limit

bool file_exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

bool retryable_status(long s) {
  return s == 429 || s == 408 || (s >= 500 && s <= 599);
}

// The registry's error body ({"errors":[{"code":"MANIFEST_UNKNOWN","message":"..."}]}) in one line.
std::string registry_error_text(const std::string& body) {
  try {
    auto j = nlohmann::json::parse(body);
    if (j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
      const auto& e = j["errors"][0];
      std::string code = e.value("code", "");
      std::string msg = e.value("message", "");
      return code.empty() ? msg : code + (msg.empty() ? "" : " (" + msg + ")");
    }
  } catch (...) {
  }
  return {};
}

}  // namespace

RegistryOptions default_registry_options() {
  RegistryOptions o;
  const char* certs = std::getenv("SKIFF_CERTS_DIR");
  o.certs_dir = certs && *certs ? certs : "/etc/skiff/certs.d";
  if (const char* ins = std::getenv("SKIFF_INSECURE_REGISTRIES")) o.insecure = split_commas(ins);
  return o;
}

RegistryClient::RegistryClient(const std::string& registry, const std::string& repository, RegistryOptions o)
    : registry_(registry), repository_(repository), opts_(std::move(o)) {
  Reference r;
  r.registry = registry;
  host_ = r.api_host();
  tls_ = tls_for_host();
  insecure_allowed_ = r.is_loopback() || std::find(opts_.insecure.begin(), opts_.insecure.end(), registry) !=
                                             opts_.insecure.end();
  // A registry with its own CA configured speaks TLS: never fall back to plain HTTP for it.
  if (!tls_.ca_file.empty()) insecure_allowed_ = false;
  if (opts_.credentials) {
    creds_ = opts_.credentials;
    creds_loaded_ = true;
  }
}

TlsOptions RegistryClient::tls_for_host() const {
  TlsOptions t;
  if (opts_.certs_dir.empty()) return t;
  std::string dir = opts_.certs_dir + "/" + registry_;
  if (file_exists(dir + "/ca.crt")) t.ca_file = dir + "/ca.crt";
  if (file_exists(dir + "/client.cert") && file_exists(dir + "/client.key")) {
    t.client_cert = dir + "/client.cert";
    t.client_key = dir + "/client.key";
  }
  return t;
}

const std::string& RegistryClient::base_url() {
  std::lock_guard g(mu_);
  if (!base_url_.empty()) return base_url_;
  std::string https = "https://" + host_;
  if (!insecure_allowed_) {
    base_url_ = https;
    return base_url_;
  }
  // Loopback or configured insecure: TLS if the registry speaks it, plain HTTP otherwise (what docker
  // and containerd do for such registries).
  HttpClient http(tls_);
  HttpRequest ping;
  ping.url = https + "/v2/";
  try {
    http.perform(ping);
    base_url_ = https;
  } catch (const TransportError& e) {
    if (!e.tls()) throw Error("registry " + registry_ + " unreachable: " + e.what());
    base_url_ = "http://" + host_;
  }
  return base_url_;
}

void RegistryClient::authenticate(HttpClient& http, const HttpResponse& unauthorized,
                                  const std::string& failed_token) {
  std::lock_guard g(mu_);
  // Another thread already replaced the token that failed: use theirs.
  if (authorization_ != failed_token) return;
  if (!creds_loaded_) {
    creds_ = find_credentials(registry_);
    creds_loaded_ = true;
  }
  auto ch = parse_challenge(unauthorized.header("www-authenticate"));
  std::string where = "registry " + registry_;
  if (!ch) throw Error(where + ": 401 Unauthorized without a usable WWW-Authenticate challenge");
  if (ch->scheme == "basic") {
    if (!creds_)
      throw Error(
          where +
          " requires a user name and password: none found (skiff/auth.json or ~/.docker/config.json)");
    if (!failed_token.empty() && failed_token.rfind("Basic ", 0) == 0)
      throw Error(where + ": authentication failed for user \"" + creds_->username +
                  "\" (wrong credentials?)");
    authorization_ = "Basic " + base64_encode(creds_->username + ":" + creds_->password);
    return;
  }
  if (ch->scheme != "bearer")
    throw Error(where + ": unsupported authentication scheme \"" + ch->scheme + "\"");
  std::string realm = ch->param("realm");
  if (realm.rfind("https://", 0) != 0 && realm.rfind("http://", 0) != 0)
    throw Error(where + ": token realm \"" + realm + "\" is not an http(s) URL");
  std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
  if (!ch->param("service").empty()) url += "service=" + url_escape(ch->param("service")) + "&";
  std::string scope = ch->param("scope");
  if (scope.empty()) scope = "repository:" + repository_ + ":pull";
  url += "scope=" + url_escape(scope);
  HttpRequest tr;
  tr.url = url;
  if (creds_ && !creds_->username.empty())
    tr.headers.push_back("Authorization: Basic " + base64_encode(creds_->username + ":" + creds_->password));
  HttpResponse resp = http.perform(tr);
  if (resp.status == 401 || resp.status == 403)
    throw Error(where + ": token service " + realm + " refused " +
                (creds_ ? "the credentials of user \"" + creds_->username + "\"" : "anonymous access") +
                " (" + std::to_string(resp.status) + ")");
  if (resp.status != 200)
    throw Error(where + ": token service " + realm + " answered " + std::to_string(resp.status));
  std::string token;
  try {
    auto j = nlohmann::json::parse(resp.body);
    token = j.value("token", "");
    if (token.empty()) token = j.value("access_token", "");
  } catch (const nlohmann::json::exception&) {
    throw Error(where + ": token service " + realm + " sent no JSON");
  }
  if (token.empty()) throw Error(where + ": token service " + realm + " sent no token");
  if (!failed_token.empty() && failed_token == "Bearer " + token)
    throw Error(where + ": access to " + repository_ + " denied with a fresh token");
  authorization_ = "Bearer " + token;
}

HttpResponse RegistryClient::send_authorized(HttpClient& http, HttpRequest req, const BodySink& sink) {
  std::vector<std::string> base_headers = req.headers;
  for (int round = 0;; ++round) {
    std::string auth;
    {
      std::lock_guard g(mu_);
      auth = authorization_;
    }
    req.headers = base_headers;
    if (!auth.empty()) req.headers.push_back("Authorization: " + auth);
    HttpResponse resp = http.perform(req, sink);
    // 401: no token yet, or it expired. One fresh authentication per request; a second 401 is final.
    if (resp.status != 401 || round >= 2) return resp;
    authenticate(http, resp, auth);
  }
}

std::string RegistryClient::describe_status(const HttpResponse& r, const std::string& what) const {
  std::string s = "registry " + registry_ + ": " + what + ": HTTP " + std::to_string(r.status);
  std::string detail = registry_error_text(r.body);
  if (!detail.empty()) s += " " + detail;
  return s;
}

HttpResponse RegistryClient::request(HttpRequest req, const BodySink& sink,
                                     const std::function<void()>& before_retry) {
  auto delay = opts_.backoff;
  for (int attempt = 1;; ++attempt) {
    std::string err;
    try {
      HttpClient http(tls_);
      HttpResponse r = send_authorized(http, req, sink);
      if (!retryable_status(r.status) || attempt >= opts_.attempts) return r;
      err = "HTTP " + std::to_string(r.status);
    } catch (const TransportError& e) {
      if (e.tls() || attempt >= opts_.attempts) throw;
      err = e.what();
    }
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::milliseconds(8000));
    if (before_retry) before_retry();
  }
}

FetchedManifest RegistryClient::get_manifest(const std::string& ref) {
  std::string what = "manifest " + registry_ + "/" + repository_ + (Digest::valid(ref) ? "@" : ":") + ref;
  HttpRequest req;
  req.url = base_url() + "/v2/" + repository_ + "/manifests/" + ref;
  req.headers.push_back(std::string("Accept: ") + media::kOciIndex + ", " + media::kOciManifest + ", " +
                        media::kDockerList + ", " + media::kDockerManifest);
  HttpResponse r = request(req);
  if (r.status == 404) throw NotFoundError(describe_status(r, what + " not found"));
  if (r.status != 200) throw Error(describe_status(r, "get " + what));
  if (r.body.size() > kMaxManifestBytes) throw Error(what + ": larger than 4 MiB");
  FetchedManifest m;
  m.body = std::move(r.body);
  m.digest = sha256_of(m.body);
  if (Digest::valid(ref) && m.digest.str() != ref)
    throw Error(what + ": digest mismatch: expected " + ref + ", got " + m.digest.str());
  std::string ct = r.header("content-type");
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  // Some registries answer application/json or nothing: the document says what it is.
  auto doc = parse_json(m.body, what);
  std::string declared = doc.is_object() ? doc.value("mediaType", "") : "";
  m.media_type = !declared.empty()                                 ? declared
                 : (media::is_manifest(ct) || media::is_index(ct)) ? ct
                                                                   : sniff_media_type(doc);
  return m;
}

std::string RegistryClient::get_blob(const Descriptor& d) {
  std::string what = "blob " + d.digest.str() + " of " + registry_ + "/" + repository_;
  if (d.size > static_cast<int64_t>(kMaxManifestBytes) * 4)
    throw Error(what + ": too large to read into memory");
  HttpRequest req;
  req.url = base_url() + "/v2/" + repository_ + "/blobs/" + d.digest.str();
  std::string body;
  HttpResponse r = request(
      req,
      [&](long, const char* p, size_t n) {
        if (body.size() + n > static_cast<size_t>(d.size))
          throw Error(what + ": more data than its size " + std::to_string(d.size));
        body.append(p, n);
      },
      [&] { body.clear(); });
  if (r.status == 404) throw NotFoundError(describe_status(r, what + " not found"));
  if (r.status != 200) throw Error(describe_status(r, "get " + what));
  if (static_cast<int64_t>(body.size()) != d.size)
    throw Error(what + ": truncated: got " + std::to_string(body.size()) + " of " + std::to_string(d.size) +
                " bytes");
  Digest got = sha256_of(body);
  if (got != d.digest)
    throw Error(what + ": digest mismatch: expected " + d.digest.str() + ", got " + got.str());
  return body;
}

void RegistryClient::fetch_blob(const Descriptor& d, BlobIngest& ingest,
                                const std::function<void(int64_t)>& progress) {
  std::string what = "blob " + d.digest.str() + " of " + registry_ + "/" + repository_;
  std::string url = base_url() + "/v2/" + repository_ + "/blobs/" + d.digest.str();
  auto delay = opts_.backoff;
  for (int attempt = 1;; ++attempt) {
    // A partial as long as the blob (a pull killed between the last byte and the rename): verify it
    // as it is; asking for the empty range after it gets a 416 that some registries garble.
    if (d.size > 0 && ingest.offset() == d.size) {
      try {
        ingest.commit();
        return;
      } catch (const Error&) {
        ingest.restart();  // wrong bytes: download it all again
      }
    }
    HttpRequest req;
    req.url = url;
    if (ingest.offset() > 0) req.range_start = ingest.offset();
    bool first = true;
    std::string err;
    try {
      HttpClient http(tls_);
      HttpResponse r = send_authorized(http, req, [&](long status, const char* p, size_t n) {
        // The server ignored our Range and sends the whole blob: start over.
        if (first && status == 200 && ingest.offset() > 0) ingest.restart();
        first = false;
        ingest.write(p, n);
        if (progress) progress(ingest.offset());
      });
      if (r.status == 416) {  // our partial is longer than what the registry has: start over
        ingest.restart();
        err = "HTTP 416";
      } else if (r.status == 200 || r.status == 206) {
        if (ingest.offset() < d.size && attempt < opts_.attempts) {
          err = "transfer ended after " + std::to_string(ingest.offset()) + " of " + std::to_string(d.size) +
                " bytes";
        } else {
          ingest.commit();  // throws naming both digests on a mismatch
          return;
        }
      } else if (r.status == 404) {
        throw NotFoundError(describe_status(r, what + " not found"));
      } else if (!retryable_status(r.status) || attempt >= opts_.attempts) {
        throw Error(describe_status(r, "get " + what));
      } else {
        err = "HTTP " + std::to_string(r.status);
      }
    } catch (const TransportError& e) {
      if (e.tls() || attempt >= opts_.attempts) {
        ingest.keep_partial();  // the next pull resumes from here
        throw;
      }
      err = e.what();
      // A ranged request that failed before any byte arrived: the next attempt asks for everything.
      if (req.range_start > 0 && first) ingest.restart();
    }
    if (attempt >= opts_.attempts) {
      ingest.keep_partial();
      throw Error(what + ": giving up after " + std::to_string(attempt) + " attempts: " + err);
    }
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::milliseconds(8000));
  }
}

}  // namespace skiff::image
