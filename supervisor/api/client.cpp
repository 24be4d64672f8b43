#include "api/client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>

#include "api/unix_socket.hpp"
#include "error.hpp"
#include "file_util.hpp"

namespace skiff::api {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "connect P: No such file or directory" -> the line a person reads.
[[noreturn]] void unreachable(const std::string& path, int err) {
  std::string why;
  switch (err) {
    case ENOENT:
      why = "no such file (is `skiff supervise` running?)";
      break;
    case ECONNREFUSED:
      why = "connection refused (is `skiff supervise` running?)";
      break;
    case EACCES:
    case EPERM:
      why = "permission denied (the API serves root and the supervisor's own user)";
      break;
    default:
      why = std::generic_category().message(err);
  }
  throw Error("cannot reach the supervisor at " + path + ": " + why);
}

}  // namespace

std::string resolve_socket_path(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("SKIFF_SOCKET"); env && *env) return env;
  if (::geteuid() == 0) return "/run/skiff/skiff.sock";
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg)
    return std::string(xdg) + "/skiff/skiff.sock";
  return "/run/user/" + std::to_string(::geteuid()) + "/skiff/skiff.sock";
}

const std::string* Response::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

nlohmann::json Response::json() const {
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error("the supervisor sent a response that is not JSON (HTTP " + std::to_string(status) + ")");
  }
}

std::string Response::error_message() const {
  try {
    auto j = nlohmann::json::parse(body);
    if (j.is_object() && j.value("kind", "") == "Status" && j.contains("message"))
      return j["message"].get<std::string>();
  } catch (const std::exception&) {
  }
  std::string line = body.substr(0, body.find('\n'));
  return line.empty() ? "HTTP " + std::to_string(status) : line;
}

Client::Client(std::string socket_path, std::chrono::milliseconds timeout)
    : path_(std::move(socket_path)), timeout_(timeout) {}

void Client::connect() {
  buf_.clear();
  reused_ = false;
  try {
    fd_ = connect_unix(path_);
  } catch (const Error& e) {
    unreachable(path_, e.err());
  }
}

void Client::send_request(const std::string& method, const std::string& target, const std::string& body,
                          const std::string& content_type,
                          const std::vector<std::pair<std::string, std::string>>& extra) {
  std::string req =
      method + " " + target + " HTTP/1.1\r\nHost: skiff\r\nUser-Agent: skiff\r\nAccept: application/json\r\n";
  for (const auto& [k, v] : extra) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
    req += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  const char* p = req.data();
  size_t n = req.size();
  while (n > 0) {
    ssize_t w = ::send(fd_.get(), p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw_errno("send to the supervisor at " + path_);
    p += w;
    n -= static_cast<size_t>(w);
  }
}

size_t Client::fill(bool timed) {
  if (timed) {
    pollfd p{fd_.get(), POLLIN, 0};
    int rc;
    while ((rc = ::poll(&p, 1, static_cast<int>(timeout_.count()))) < 0 && errno == EINTR) {
    }
    if (rc == 0)
      throw Error("the supervisor at " + path_ + " did not answer within " +
                  std::to_string(timeout_.count() / 1000) + " s");
  }
  char tmp[16384];
  ssize_t n;
  while ((n = ::recv(fd_.get(), tmp, sizeof tmp, 0)) < 0 && errno == EINTR) {
  }
  if (n < 0) throw_errno("read from the supervisor at " + path_);
  buf_.append(tmp, static_cast<size_t>(n));
  return static_cast<size_t>(n);
}

Response Client::read_head(bool timed) {
  size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (buf_.size() > 65536) throw Error("the supervisor sent an oversized response head");
    if (fill(timed) == 0) throw Error(EPIPE, "the supervisor at " + path_ + " closed the connection");
  }
  Response r;
  std::string head = buf_.substr(0, end);
  buf_.erase(0, end + 4);
  size_t eol = head.find("\r\n");
  std::string status_line = head.substr(0, eol);
  if (status_line.compare(0, 5, "HTTP/") != 0 || status_line.size() < 12)
    throw Error("the supervisor sent a malformed status line");
  r.status = std::atoi(status_line.c_str() + 9);
  size_t pos = eol == std::string::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    pos = e + 2;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string v = line.substr(colon + 1);
    v.erase(0, v.find_first_not_of(' '));
    r.headers.emplace_back(lower(line.substr(0, colon)), v);
  }
  return r;
}

void Client::read_body(Response& r, bool timed, const std::function<bool(std::string_view)>* on_data) {
  auto deliver = [&](std::string_view piece) {
    if (on_data) return (*on_data)(piece);
    r.body.append(piece);
    return true;
  };
  const std::string* te = r.header("transfer-encoding");
  const std::string* cl = r.header("content-length");
  bool keep = !(r.header("connection") && lower(*r.header("connection")) == "close");
  if (te && lower(*te) == "chunked") {
    for (;;) {
      size_t eol;
      while ((eol = buf_.find("\r\n")) == std::string::npos)
        if (fill(timed) == 0) throw Error("the supervisor closed the connection in the middle of a response");
      size_t size = std::strtoul(buf_.substr(0, eol).c_str(), nullptr, 16);
      buf_.erase(0, eol + 2);
      if (size == 0) {
        while (buf_.find("\r\n") == std::string::npos)
          if (fill(timed) == 0) break;
        buf_.erase(0, buf_.find("\r\n") + 2);
        break;
      }
      while (buf_.size() < size + 2)
        if (fill(timed) == 0) throw Error("the supervisor closed the connection in the middle of a response");
      bool more = deliver(std::string_view(buf_).substr(0, size));
      buf_.erase(0, size + 2);
      if (!more) {
        fd_.reset();  // the rest of the stream is not wanted: this connection cannot be reused
        return;
      }
    }
  } else if (cl) {
    size_t len = std::strtoull(cl->c_str(), nullptr, 10);
    while (buf_.size() < len)
      if (fill(timed) == 0) throw Error("the supervisor closed the connection in the middle of a response");
    deliver(std::string_view(buf_).substr(0, len));
    buf_.erase(0, len);
  } else {
    while (fill(timed) > 0) {
    }
    deliver(buf_);
    buf_.clear();
    keep = false;
  }
  if (!keep) fd_.reset();
}

Response Client::request(const std::string& method, const std::string& target, const std::string& body,
                         const std::string& content_type) {
  for (int attempt = 0;; ++attempt) {
    if (!fd_) connect();
    bool was_reused = reused_;
    try {
      send_request(method, target, body, content_type, {});
      Response r = read_head(true);
      read_body(r, true, nullptr);
      reused_ = true;
      return r;
    } catch (const Error& e) {
      fd_.reset();
      // The supervisor may close an idle kept-alive connection just as we reuse it: once more, fresh.
      if (!was_reused || attempt > 0) throw;
    }
  }
}

int Client::stream(const std::string& target, const std::function<bool(std::string_view)>& on_data,
                   Response* error) {
  connect();
  send_request("GET", target, "", "", {});
  Response r = read_head(true);
  if (r.status < 200 || r.status >= 300) {
    read_body(r, true, nullptr);
    if (error) *error = r;
    return r.status;
  }
  read_body(r, false, &on_data);
  fd_.reset();
  return r.status;
}

int Client::stream_lines(const std::string& target, const std::function<bool(const std::string&)>& on_line,
                         Response* error) {
  std::string partial;
  return stream(
      target,
      [&](std::string_view piece) {
        partial.append(piece);
        size_t nl;
        while ((nl = partial.find('\n')) != std::string::npos) {
          std::string line = partial.substr(0, nl);
          partial.erase(0, nl + 1);
          if (!on_line(line)) return false;
        }
        return true;
      },
      error);
}

UniqueFd Client::upgrade(const std::string& method, const std::string& target, const std::string& protocol,
                         const std::string& body) {
  connect();
  send_request(method, target, body, "application/json", {{"Connection", "Upgrade"}, {"Upgrade", protocol}});
  // The head byte by byte: what follows a 101 may be a message with fds, which a larger read would
  // take (and drop the fds of).
  while (buf_.find("\r\n\r\n") == std::string::npos) {
    if (buf_.size() > 65536) throw Error("the supervisor sent an oversized response head");
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout_.count())) <= 0)
      throw Error("the supervisor did not answer the upgrade");
    char ch;
    ssize_t n = ::recv(fd_.get(), &ch, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(EPIPE, "the supervisor at " + path_ + " closed the connection");
    buf_ += ch;
  }
  Response r = read_head(true);
  if (r.status != 101) {
    read_body(r, true, nullptr);
    fd_.reset();
    throw Error("the supervisor refused " + target + ": " + r.error_message());
  }
  if (!buf_.empty()) throw Error("the supervisor sent data before the upgraded protocol began");
  return std::move(fd_);
}

}  // namespace skiff::api
