// Server: the API's HTTP/1.1 server on a unix socket, non-blocking on the supervisor's EventLoop.
//
// Who may talk to it: the socket is created 0600, owned by the supervisor's uid, and every connection's
// peer is checked with SO_PEERCRED: only root and the supervisor's own uid are served; anyone else gets
// 403 (a Kubernetes Status) and one log line, before a byte of their request is read.
//
// What a client can cost: at most `max_connections` connections (more are answered 503 and closed);
// a request's line, headers and body are bounded (Limits: 414/431/413); a request must arrive whole
// within `request_timeout` of its first byte and an idle keep-alive connection goes after
// `idle_timeout` (a slowloris client cannot pin the supervisor); a client that stops reading is
// dropped after `write_stall_timeout` without progress; a streaming response (watch, logs -f) buffers
// at most `stream_buffer_limit` bytes for a slow reader, then the stream is ended with its overflow
// chunk (a watch ERROR event) instead of growing.
//
// Handlers run on the loop thread and get a shared Exchange; they may answer at once or keep it and
// answer later (after a worker finished), stream, or upgrade. Requests on one connection are answered
// in order; the next one is not read while one is pending.
//
// Upgrade (for `skiff exec -it` and attach): after "101 Switching Protocols" the server lets go of the
// connection and hands its fd to the handler. The intended protocol on it (api/fd_passing.hpp) passes
// the process's pty master or pipe fds to the client with SCM_RIGHTS rather than copying bytes: the
// client then reads and writes the terminal directly (no copy through the supervisor's loop, no buffer
// to bound, window size set by the client's own ioctl, hang-up when the client goes), and the
// connection carries only the exit status. We serve only unix sockets, where fd passing always works.
//
// Not thread-safe: construct, use and destroy on the loop thread (the loop may run other work).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "api/http_message.hpp"
#include "api/router.hpp"
#include "event_loop.hpp"
#include "unique_fd.hpp"

namespace skiff::api {

struct ServerOptions {
  std::string socket_path = "/run/skiff/skiff.sock";
  Limits limits;
  size_t max_connections = 256;
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds write_stall_timeout{std::chrono::seconds(30)};
  size_t stream_buffer_limit = 256 * 1024;
  // One line per refused peer, bad request or dropped client. Default: skiff::log::warn.
  std::function<void(const std::string&)> log;
};

class Connection;

// One request and its response. Handlers hold it as long as they need; when the client is gone its
// writes do nothing and open() is false.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(std::weak_ptr<Connection> conn, Request req) : conn_(std::move(conn)), req_(std::move(req)) {}
  const Request& request() const { return req_; }
  bool open() const;

  // A whole response. `headers` are extra ("Name: value" pairs).
  void respond(int status, std::string body, const std::string& content_type = "application/json",
               const std::vector<std::pair<std::string, std::string>>& headers = {});
  void respond_json(int status, const nlohmann::json& body);
  // A Kubernetes Status: {"kind":"Status","status":"Failure","message":..,"reason":..,"code":..}.
  void respond_status(int code, const std::string& reason, const std::string& message);

  // A chunked response whose body is written piece by piece. `overflow_chunk` is written (beyond
  // the limit) when the reader falls too far behind, and the stream is then ended and closed.
  void start_stream(int status, const std::string& content_type, std::string overflow_chunk = {});
  // False when the stream has ended (client gone, or overflowed just now).
  bool write(std::string_view chunk);
  void end_stream();
  // Called once when the client goes away or the stream is dropped before end_stream().
  void on_close(std::function<void()> cb) { on_close_ = std::move(cb); }

  // Answers 101 with "Upgrade: <protocol>" and hands the connection's fd (non-blocking) and any bytes
  // the client sent after its request to `take`, once the 101 is written. The server forgets it.
  void upgrade(const std::string& protocol, std::function<void(UniqueFd fd, std::string early)> take);

 private:
  friend class Connection;
  std::weak_ptr<Connection> conn_;
  Request req_;
  bool responded_ = false;
  bool streaming_ = false;
  bool stream_ended_ = false;
  std::string overflow_chunk_;
  std::function<void()> on_close_;
};

class Server {
 public:
  // Creates the socket (replacing a stale one; refusing if a live server answers on it) and starts
  // accepting on `loop`. Throws skiff::Error with the path on failure.
  Server(EventLoop& loop, const Router& router, ServerOptions options);
  ~Server();  // closes every connection, removes the socket file
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  size_t connection_count() const { return conns_.size(); }
  const ServerOptions& options() const { return opts_; }

 private:
  friend class Connection;
  void on_accept();
  void forget(int fd);
  void log(const std::string& line) const;

  EventLoop& loop_;
  const Router& router_;
  ServerOptions opts_;
  UniqueFd listen_fd_;
  std::map<int, std::shared_ptr<Connection>> conns_;
  uid_t own_uid_;
};

}  // namespace skiff::api
