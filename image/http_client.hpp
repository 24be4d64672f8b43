// A small wrapper over one libcurl easy handle: a request with headers and an optional Range, the
// response's status and headers, the body either collected or streamed to a sink. Transport failures
// (refused connection, TLS failure, dropped link, stalled transfer) throw TransportError so that callers
// can tell them from HTTP statuses and decide what is worth retrying.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "error.hpp"

namespace skiff::image {

struct TlsOptions {
  // Extra CA certificates (PEM) trusted in addition to the system's (certs.d/<host>/ca.crt).
  std::string ca_file;
  // A client certificate and key (certs.d/<host>/client.cert, client.key), both or neither.
  std::string client_cert, client_key;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  int64_t range_start = -1;          // >= 0: "Range: bytes=N-"
  bool follow_redirects = true;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names, of the final response only
  std::string body;                            // collected when there is no sink or the status is not 2xx
  std::string effective_url;
  std::string header(const std::string& lower_name) const;
};

class TransportError : public Error {
 public:
  TransportError(const std::string& what, bool tls) : Error(what), tls_(tls) {}
  // A TLS handshake or verification failure (not worth retrying; maybe a plain-HTTP registry).
  bool tls() const { return tls_; }

 private:
  bool tls_;
};

// Receives body bytes of a 2xx response (with its status: 200 or 206). Throwing aborts the transfer;
// the exception propagates out of perform().
using BodySink = std::function<void(long status, const char* data, size_t n)>;

class HttpClient {
 public:
  explicit HttpClient(TlsOptions tls = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse perform(const HttpRequest& request, const BodySink& sink = {});

 private:
  void* curl_;  // CURL*
  TlsOptions tls_;
  std::string ca_blob_;  // system bundle + extra CA, kept alive for the handle
};

std::string base64_encode(const std::string& in);
std::string base64_decode(const std::string& in);
// Percent-encodes a query parameter value.
std::string url_escape(const std::string& in);

}  // namespace skiff::image
