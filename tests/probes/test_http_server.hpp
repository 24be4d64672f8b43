// An HTTP/1.1 (and HTTPS) server written for the probe tests, on a thread of its own, serving one
// connection at a time from a listener the test made (in whatever network namespace). Each path gets a
// handler that writes whatever it likes: proper responses, and the hostile ones (garbage, an endless
// header, a body without end, a byte every 100 ms, nothing at all). Every request head is recorded.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "unique_fd.hpp"

namespace skiff::probes::test {

struct HttpRequestSeen {
  std::string request_line;                                  // "GET /healthz HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers;  // in order, as sent
  std::string header(const std::string& name) const;         // first value, case-insensitive name
};

class Conn {
 public:
  // Writes all of `data`; false once the peer is gone or the server stops.
  bool send(std::string_view data);
  // Sleeps, returning early (false) when the server stops.
  bool pause(std::chrono::milliseconds d);
  bool stopping() const;

 private:
  friend class TestHttpServer;
  Conn(int fd, SSL* ssl, const std::atomic<bool>& stop) : fd_(fd), ssl_(ssl), stop_(stop) {}
  int fd_;
  SSL* ssl_;
  const std::atomic<bool>& stop_;
};

class TestHttpServer {
 public:
  using Handler = std::function<void(Conn&, const HttpRequestSeen&)>;

  // Serves on `listener` (bound and listening); HTTPS when tls is set.
  explicit TestHttpServer(UniqueFd listener, bool tls = false);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  // The handler for a path (request target without the query); others get 404.
  void on(const std::string& path, Handler h);
  // A plain response: status, extra headers, body (Content-Length set, connection closed after).
  static Handler reply(int status, std::string body = "",
                       std::vector<std::pair<std::string, std::string>> headers = {});

  std::vector<HttpRequestSeen> requests() const;
  // Connections accepted so far.
  int connections() const { return connections_; }
  // Connections currently being served (0 once the prober let go of every one).
  int open_connections() const { return open_; }

 private:
  void serve();
  void serve_one(int fd);
  UniqueFd listener_;
  UniqueFd stop_fd_;
  SSL_CTX* tls_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> open_{0};
  mutable std::mutex mu_;
  std::map<std::string, Handler> routes_;
  std::vector<HttpRequestSeen> seen_;
  std::thread thread_;
};

}  // namespace skiff::probes::test
