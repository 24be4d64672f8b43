// Client: the CLI's side of the API. Blocking, one connection kept alive between requests (and opened
// again if the supervisor closed it). Errors are one line a person can act on:
//   cannot reach the supervisor at /run/skiff/skiff.sock: no such file (is `skiff supervise` running?)
// A Client is used by one thread at a time.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "unique_fd.hpp"

namespace skiff::api {

// --socket PATH if given, else $SKIFF_SOCKET, else /run/skiff/skiff.sock for root and
// $XDG_RUNTIME_DIR/skiff/skiff.sock (or /run/user/<uid>/skiff/skiff.sock) for anyone else.
std::string resolve_socket_path(const std::string& flag);

struct Response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  const std::string* header(const std::string& lower_name) const;
  nlohmann::json json() const;  // throws skiff::Error if the body is not JSON
  // For a Status body: its message, else the body itself (one line).
  std::string error_message() const;
};

class Client {
 public:
  explicit Client(std::string socket_path, std::chrono::milliseconds timeout = std::chrono::seconds(30));

  Response request(const std::string& method, const std::string& target, const std::string& body = "",
                   const std::string& content_type = "application/json");
  Response get(const std::string& target) { return request("GET", target); }

  // A streaming GET (watch, logs -f): `on_data` gets each piece of the body as it arrives (chunked
  // framing removed) and returns false to stop. Returns the status; a non-2xx body is read whole into
  // `error` (if given) and not passed to on_data. No read timeout while streaming.
  int stream(const std::string& target, const std::function<bool(std::string_view)>& on_data,
             Response* error = nullptr);
  // The same, cut into lines (a watch's events).
  int stream_lines(const std::string& target, const std::function<bool(const std::string&)>& on_line,
                   Response* error = nullptr);

  // Sends the request asking for `protocol`; after a 101 returns the connection (blocking) for the
  // caller's own protocol, e.g. recv_fds (fd_passing.hpp). Throws with the server's message otherwise.
  UniqueFd upgrade(const std::string& method, const std::string& target, const std::string& protocol,
                   const std::string& body = "");

  const std::string& socket_path() const { return path_; }

 private:
  void connect();
  void send_request(const std::string& method, const std::string& target, const std::string& body,
                    const std::string& content_type,
                    const std::vector<std::pair<std::string, std::string>>& extra);
  Response read_head(bool timed);
  void read_body(Response& r, bool timed, const std::function<bool(std::string_view)>* on_data);
  size_t fill(bool timed);  // reads more into buf_; 0 at EOF

  std::string path_;
  std::chrono::milliseconds timeout_;
  UniqueFd fd_;
  std::string buf_;
  bool reused_ = false;
};

}  // namespace skiff::api
