#include "test_http_server.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <stdexcept>

namespace skiff::probes::test {
namespace {

// A throwaway self-signed P-256 certificate: the prober does not verify it, as the kubelet does not.
SSL_CTX* make_server_context() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("probe-test"),
                             -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  if (!ctx || !key || SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1)
    throw std::runtime_error("cannot make the test TLS context");
  X509_free(cert);
  EVP_PKEY_free(key);
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
  return ctx;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

}  // namespace

std::string HttpRequestSeen::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (::strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  return "";
}

bool Conn::stopping() const {
  return stop_;
}

bool Conn::pause(std::chrono::milliseconds d) {
  auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
    if (stop_) return false;
    // The prober hanging up ends the pause: nothing left to serve.
    pollfd p{fd_, POLLRDHUP, 0};
    if (::poll(&p, 1, 10) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) return false;
  }
  return !stop_;
}

bool Conn::send(std::string_view data) {
  while (!data.empty()) {
    if (stop_) return false;
    ssize_t n;
    if (ssl_) {
      size_t w = 0;
      n = SSL_write_ex(ssl_, data.data(), data.size(), &w) == 1 ? static_cast<ssize_t>(w) : -1;
      if (n < 0) ERR_clear_error();
    } else {
      n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;  // the peer is slow
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

TestHttpServer::TestHttpServer(UniqueFd listener, bool tls)
    : listener_(std::move(listener)), stop_fd_(::eventfd(0, EFD_CLOEXEC)) {
  ::signal(SIGPIPE, SIG_IGN);  // a test server writing to a prober that left must not die
  if (tls) tls_ = make_server_context();
  thread_ = std::thread([this] { serve(); });
}

TestHttpServer::~TestHttpServer() {
  stop_ = true;
  uint64_t one = 1;
  (void)!::write(stop_fd_.get(), &one, sizeof one);
  thread_.join();
  if (tls_) SSL_CTX_free(tls_);
}

void TestHttpServer::on(const std::string& path, Handler h) {
  std::lock_guard<std::mutex> g(mu_);
  routes_[path] = std::move(h);
}

TestHttpServer::Handler TestHttpServer::reply(int status, std::string body,
                                              std::vector<std::pair<std::string, std::string>> headers) {
  return [=](Conn& c, const HttpRequestSeen&) {
    std::string r = "HTTP/1.1 " + std::to_string(status) +
                    " Whatever\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    for (const auto& [k, v] : headers) r += k + ": " + v + "\r\n";
    c.send(r + "Connection: close\r\n\r\n" + body);
  };
}

std::vector<HttpRequestSeen> TestHttpServer::requests() const {
  std::lock_guard<std::mutex> g(mu_);
  return seen_;
}

void TestHttpServer::serve() {
  while (!stop_) {
    pollfd p[2] = {{listener_.get(), POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) continue;
    if (p[1].revents) return;
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!fd) continue;
    ++connections_;
    ++open_;
    serve_one(fd.get());
    --open_;
  }
}

void TestHttpServer::serve_one(int fd) {
  timeval rcv{5, 0}, snd{0, 100000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rcv, sizeof rcv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof snd);
  SSL* ssl = nullptr;
  if (tls_) {
    ssl = SSL_new(tls_);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {
      ERR_clear_error();
      SSL_free(ssl);
      return;
    }
  }
  // The request head, up to 64 KiB.
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536 && !stop_) {
    ssize_t n;
    if (ssl) {
      size_t got = 0;
      n = SSL_read_ex(ssl, buf, sizeof buf, &got) == 1 ? static_cast<ssize_t>(got) : -1;
    } else {
      n = ::recv(fd, buf, sizeof buf, 0);
    }
    if (n <= 0) break;
    head.append(buf, static_cast<size_t>(n));
    if (!std::isalpha(static_cast<unsigned char>(head[0]))) {
      // Not HTTP (a TLS ClientHello, say): answered at once, as real servers answer it.
      Conn c(fd, ssl, stop_);
      c.send("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      if (ssl) SSL_free(ssl);
      return;
    }
  }
  HttpRequestSeen req;
  size_t pos = head.find("\r\n");
  req.request_line = head.substr(0, pos);
  while (pos != std::string::npos && pos + 2 < head.size()) {
    size_t next = head.find("\r\n", pos + 2);
    std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    pos = next;
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon != std::string::npos)
      req.headers.emplace_back(line.substr(0, colon), trim(line.substr(colon + 1)));
  }
  std::string path = req.request_line.substr(req.request_line.find(' ') + 1);
  path = path.substr(0, path.find(' '));
  path = path.substr(0, path.find('?'));
  Handler h;
  {
    std::lock_guard<std::mutex> g(mu_);
    seen_.push_back(req);
    auto it = routes_.find(path);
    h = it != routes_.end() ? it->second : reply(404, "not found");
  }
  Conn c(fd, ssl, stop_);
  h(c, req);
  if (ssl) {
    SSL_shutdown(ssl);
    SSL_free(ssl);
    ERR_clear_error();
  }
}

}  // namespace skiff::probes::test
