// A client for one repository of a distribution-spec v2 registry: manifests and indexes by tag or
// digest, blobs streamed into the blob store (Range resume, retries with backoff), and the auth dance
// (anonymous or credentialed Bearer tokens, Basic). Thread-safe: several blobs download at once, each
// call on its own connection, sharing the token.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth.hpp"
#include "blob_store.hpp"
#include "http_client.hpp"
#include "manifest.hpp"
#include "reference.hpp"

namespace skiff::image {

struct RegistryOptions {
  // Per-registry TLS material: <certs_dir>/<host:port>/ca.crt, client.cert, client.key
  // (containerd's and docker's layout). $SKIFF_CERTS_DIR overrides the default.
  std::string certs_dir;
  // Registries reached over plain HTTP when they do not speak TLS ("host:port"). Loopback registries
  // are always allowed. $SKIFF_INSECURE_REGISTRIES (comma-separated) adds to it.
  std::vector<std::string> insecure;
  // Credentials to use instead of the credentials files.
  std::optional<Credentials> credentials;
  int attempts = 5;                        // per request, for 5xx, 429 and dropped connections
  std::chrono::milliseconds backoff{250};  // doubled after each failure, at most 8 s
};
RegistryOptions default_registry_options();

struct FetchedManifest {
  std::string body;
  std::string media_type;
  Digest digest;
};

class RegistryClient {
 public:
  RegistryClient(const std::string& registry, const std::string& repository, RegistryOptions o);

  // `ref` is a tag or a digest. The document's digest is computed from its bytes; when `ref` is a
  // digest it must match (a registry cannot substitute another document).
  FetchedManifest get_manifest(const std::string& ref);
  // Small blob (config) into memory, verified against the descriptor.
  std::string get_blob(const Descriptor& d);
  // Streams a blob into `ingest`, resuming from ingest.offset() with Range, retrying dropped transfers
  // from where they stopped, and commits it (verified). `progress` gets the bytes on disk so far.
  void fetch_blob(const Descriptor& d, BlobIngest& ingest, const std::function<void(int64_t)>& progress = {});

  const std::string& base_url();  // "https://host:port" (decided on first use)

 private:
  HttpResponse request(HttpRequest req, const BodySink& sink = {},
                       const std::function<void()>& before_retry = {});
  HttpResponse send_authorized(HttpClient& http, HttpRequest req, const BodySink& sink);
  void authenticate(HttpClient& http, const HttpResponse& unauthorized, const std::string& failed_token);
  std::string describe_status(const HttpResponse& r, const std::string& what) const;
  TlsOptions tls_for_host() const;

  std::string registry_, host_, repository_;
  RegistryOptions opts_;
  TlsOptions tls_;
  bool insecure_allowed_ = false;
  std::mutex mu_;
  std::string base_url_;
  std::string authorization_;  // "Bearer ..." or "Basic ..."
  bool creds_loaded_ = false;
  std::optional<Credentials> creds_;
};

// Thrown when the registry answered 404 for a manifest (unknown image or tag).
class NotFoundError : public Error {
 public:
  using Error::Error;
};

}  // namespace skiff::image
