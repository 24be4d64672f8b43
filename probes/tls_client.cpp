#include "tls_client.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "error.hpp"

namespace skiff::probes {
namespace {

bool is_address(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// A socket BIO whose writes never raise SIGPIPE (send with MSG_NOSIGNAL): a server that closes early
// must not kill the process that probes it.
TlsClient::Sock& sock_of(BIO* b) {
  return *static_cast<TlsClient::Sock*>(BIO_get_data(b));
}

int bio_write(BIO* b, const char* data, int len) {
  BIO_clear_retry_flags(b);
  ssize_t n = ::send(sock_of(b).fd, data, static_cast<size_t>(len), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_write(b);
  return static_cast<int>(n);
}

int bio_read(BIO* b, char* buf, int len) {
  BIO_clear_retry_flags(b);
  TlsClient::Sock& s = sock_of(b);
  ssize_t n = ::recv(s.fd, buf, static_cast<size_t>(len), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_read(b);
  if (n > 0 && s.first.size() < 5)
    s.first.append(buf, std::min<size_t>(static_cast<size_t>(n), 5 - s.first.size()));
  return static_cast<int>(n);
}

long bio_ctrl(BIO*, int cmd, long, void*) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

BIO_METHOD* socket_method() {
  static BIO_METHOD* m = [] {
    BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "skiff probe socket");
    BIO_meth_set_write(bm, bio_write);
    BIO_meth_set_read(bm, bio_read);
    BIO_meth_set_ctrl(bm, bio_ctrl);
    BIO_meth_set_create(bm, bio_create);
    return bm;
  }();
  return m;
}

std::string last_ssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "";
  const char* reason = ERR_reason_error_string(e);
  return reason ? reason : "error " + std::to_string(e);
}

}  // namespace

SSL_CTX* TlsClient::context() {
  static SSL_CTX* ctx = [] {
    SSL_CTX* c = SSL_CTX_new(TLS_client_method());
    if (!c) throw Error("TLS: cannot create a client context: " + last_ssl_error());
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    // One handshake per connection, as the kubelet (no keep-alive, no session reuse).
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
    return c;
  }();
  return ctx;
}

TlsClient::TlsClient(SSL_CTX* ctx, int fd, const std::string& server_name) {
  ssl_ = SSL_new(ctx);
  if (!ssl_) throw Error("TLS: " + last_ssl_error());
  BIO* bio = BIO_new(socket_method());
  if (!bio) {
    SSL_free(ssl_);
    ssl_ = nullptr;
    throw Error("TLS: " + last_ssl_error());
  }
  sock_.fd = fd;
  BIO_set_data(bio, &sock_);
  SSL_set_bio(ssl_, bio, bio);
  SSL_set_connect_state(ssl_);
  if (!server_name.empty() && !is_address(server_name)) SSL_set_tlsext_host_name(ssl_, server_name.c_str());
}

TlsClient::~TlsClient() {
  if (!ssl_) return;
  // One close_notify attempt, never waited for.
  if (SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);
  SSL_free(ssl_);
  ERR_clear_error();
}

TlsClient::Io TlsClient::result(int rc) {
  int err = SSL_get_error(ssl_, rc);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      return Io::want_read;
    case SSL_ERROR_WANT_WRITE:
      return Io::want_write;
    case SSL_ERROR_ZERO_RETURN:
      return Io::closed;
    case SSL_ERROR_SYSCALL: {
      int e = errno;
      error_ = last_ssl_error();
      if (error_.empty()) error_ = e ? std::strerror(e) : "EOF";
      return Io::failed;
    }
    default:
      error_ = last_ssl_error();
      if (error_.empty()) error_ = "TLS error " + std::to_string(err);
      return Io::failed;
  }
}

TlsClient::Io TlsClient::handshake() {
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  return rc == 1 ? Io::ok : result(rc);
}

TlsClient::Io TlsClient::write(const char* data, size_t len, size_t& written) {
  ERR_clear_error();
  written = 0;
  int rc = SSL_write_ex(ssl_, data, len, &written);
  return rc == 1 ? Io::ok : result(rc);
}

TlsClient::Io TlsClient::read(char* buf, size_t len, size_t& got) {
  ERR_clear_error();
  got = 0;
  int rc = SSL_read_ex(ssl_, buf, len, &got);
  if (rc == 1) return Io::ok;
  Io r = result(rc);
  // A peer that closes without close_notify ends the body as EOF does for plain HTTP.
  if (r == Io::failed && (error_ == "EOF" || error_ == "unexpected eof while reading")) return Io::closed;
  return r;
}

}  // namespace skiff::probes
