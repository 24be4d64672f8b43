// TLS for httpGet probes with scheme HTTPS: OpenSSL on a non-blocking socket, certificates not
// verified (the kubelet's InsecureSkipVerify), SNI sent for names, TLS 1.2 at least (Go's client
// default), no ALPN (HTTP/1.1 only).
#pragma once

#include <cstddef>
#include <string>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace skiff::probes {

class TlsClient {
 public:
  enum class Io { ok, want_read, want_write, closed, failed };

  // `ctx` from context(); `server_name` for SNI (empty, or an address: none sent).
  TlsClient(SSL_CTX* ctx, int fd, const std::string& server_name);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  Io handshake();
  Io write(const char* data, size_t len, size_t& written);
  Io read(char* buf, size_t len, size_t& got);
  // Why the last call failed, as OpenSSL's reason ("wrong version number").
  const std::string& error() const { return error_; }
  // The peer answered the handshake with plain HTTP (Go: "server gave HTTP response to HTTPS client").
  bool peer_spoke_http() const { return sock_.first.rfind("HTTP/", 0) == 0; }

  // What the socket BIO works on: the fd, and the first bytes the peer sent.
  struct Sock {
    int fd = -1;
    std::string first;
  };

  // One client context for every probe: created on first use, never verifying peers.
  static SSL_CTX* context();

 private:
  Io result(int rc);
  SSL* ssl_ = nullptr;
  Sock sock_;
  std::string error_;
};

}  // namespace skiff::probes
