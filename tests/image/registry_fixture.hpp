// A real distribution registry (Debian's docker-registry) for tests: started on 127.0.0.1 with a free
// port, its storage and config in a temp dir, optionally with htpasswd Basic auth, a token issuer, or TLS;
// stopped by pid when the object dies. Plus helpers that build OCI layouts from the fixture rootfs with
// umoci and push them with skopeo.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <string>
#include <thread>

#include "test_util.hpp"

namespace skiff::image::test {

// Why registry tests cannot run here ("" when they can): missing tools or not root.
std::string registry_unavailable_reason();

int free_loopback_port();

struct RegistryConfig {
  std::string htpasswd_user, htpasswd_password;  // Basic auth when set
  bool tls = false;                              // serve TLS with a test CA (ca_file() then)
  // Token auth: the registry trusts `token_cert` (PEM) as issuer "skiff-test" for service
  // "skiff-registry", realm `token_realm`.
  std::string token_realm, token_cert;
};

// A token service for the registry's `token` auth: signs RS256 JWTs (x5c header, a test certificate
// made with openssl) granting the scope asked for; pull-only scopes to `user`:`password` only (other requests
// get 401), push scopes to anyone (how the fixture is pushed). Runs on a thread on 127.0.0.1; counts the
// tokens it issued.
class TokenIssuer {
 public:
  TokenIssuer(std::string user, std::string password);
  ~TokenIssuer();
  TokenIssuer(const TokenIssuer&) = delete;
  TokenIssuer& operator=(const TokenIssuer&) = delete;
  std::string realm() const { return "http://127.0.0.1:" + std::to_string(port_) + "/token"; }
  std::string cert_file() const { return dir_ / "token.crt"; }
  int issued() const { return issued_; }

 private:
  void serve();
  std::string token_for(const std::string& scope);
  TempDir dir_;
  std::string user_, password_;
  int listen_fd_ = -1, port_ = 0;
  std::atomic<int> issued_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class Registry {
 public:
  explicit Registry(RegistryConfig c = {});
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  const std::string& host() const { return host_; }  // "127.0.0.1:PORT"
  // The CA certificate that signed the server's certificate (TLS only).
  std::string ca_file() const { return dir_ / "ca.crt"; }
  std::string log() const;
  // Copies an OCI layout image ("dir:tag") to host()/repo:tag with skopeo. Returns "" or skopeo's output.
  std::string push(const std::string& layout, const std::string& tag, const std::string& repo_tag,
                   bool zstd = false);
  // Credentials skopeo pushes with (token auth).
  std::string push_creds;

 private:
  TempDir dir_;
  RegistryConfig cfg_;
  std::string host_;
  pid_t pid_ = -1;
};

// Builds an OCI layout at `layout` with tag `tag` from the fixture rootfs: the base layer, then a layer
// adding /etc/skiff-test (a file), one removing /etc/motd-ish file (whiteout), one replacing a directory
// (opaque). Returns "" or the failing command's output.
std::string build_fixture_layout(const std::string& layout, const std::string& tag,
                                 const std::string& scratch);

std::string fixture_rootfs();

}  // namespace skiff::image::test
