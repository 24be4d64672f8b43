#include "api/server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include "api/connection.hpp"
#include "api/unix_socket.hpp"
#include "error.hpp"
#include "log.hpp"

namespace skiff::api {
namespace {

constexpr size_t kReadChunk = 16384;
constexpr size_t kMaxReadPerWakeup = 256 * 1024;  // fairness between connections

nlohmann::json status_json(int code, const std::string& reason, const std::string& message) {
  return {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
          {"status", "Failure"}, {"message", message}, {"reason", reason},
          {"code", code}};
}

// A whole response that closes the connection, for answers given outside any handler.
std::string status_response(int code, const std::string& reason, const std::string& message) {
  std::string body = status_json(code, reason, message).dump() + "\n";
  return "HTTP/1.1 " + std::to_string(code) + " " + status_text(code) +
         "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

const char* reason_for(int status) {
  switch (status) {
    case 408:
      return "Timeout";
    case 413:
      return "RequestEntityTooLarge";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 503:
      return "ServiceUnavailable";
    case 500:
      return "InternalError";
    default:
      return "BadRequest";
  }
}

}  // namespace

// ---- Server ----

Server::Server(EventLoop& loop, const Router& router, ServerOptions options)
    : loop_(loop), router_(router), opts_(std::move(options)), own_uid_(::geteuid()) {
  listen_fd_ = listen_unix(opts_.socket_path);
  loop_.watch(listen_fd_.get(), EPOLLIN, [this](uint32_t) { on_accept(); });
}

Server::~Server() {
  loop_.unwatch(listen_fd_.get());
  auto conns = conns_;
  for (auto& [fd, c] : conns) c->close("server stopping");
  ::unlink(opts_.socket_path.c_str());
}

void Server::log(const std::string& line) const {
  if (opts_.log)
    opts_.log(line);
  else
    skiff::log::warn("api: " + line);
}

void Server::forget(int fd) {
  conns_.erase(fd);
}

void Server::on_accept() {
  for (int i = 0; i < 64; ++i) {
    int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno == EMFILE || errno == ENFILE) log("accept: out of file descriptors");
      return;  // EAGAIN, or an error the next readiness retries
    }
    UniqueFd conn(fd);
    Peer peer;
    try {
      peer = peer_of(fd);
    } catch (const Error& e) {
      log(std::string("refused a connection: ") + e.what());
      continue;
    }
    auto refuse = [&](int code, const std::string& message) {
      std::string r = status_response(code, reason_for(code), message);
      (void)!::send(fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);  // best effort: it is small
    };
    if (peer.uid != 0 && peer.uid != own_uid_) {
      log("refused a connection from uid " + std::to_string(peer.uid) + " (pid " + std::to_string(peer.pid) +
          "): only root and uid " + std::to_string(own_uid_) + " may use the API");
      refuse(403, "forbidden: uid " + std::to_string(peer.uid) + " may not use this API (only root and uid " +
                      std::to_string(own_uid_) + ")");
      continue;
    }
    if (conns_.size() >= opts_.max_connections) {
      log("refused a connection from pid " + std::to_string(peer.pid) + ": " + std::to_string(conns_.size()) +
          " connections already open");
      refuse(503, "too many connections (" + std::to_string(opts_.max_connections) + "); try again");
      continue;
    }
    auto c = std::make_shared<Connection>(*this, std::move(conn), peer);
    conns_[fd] = c;
    c->start();
  }
}

// ---- Connection ----

Connection::Connection(Server& server, UniqueFd fd, Peer peer)
    : server_(server), fd_(std::move(fd)), peer_(peer), parser_(server.opts_.limits) {
  last_activity_ = last_progress_ = request_start_ = server_.loop_.now();
}

void Connection::start() {
  events_ = EPOLLIN | EPOLLRDHUP;
  std::weak_ptr<Connection> weak = shared_from_this();
  server_.loop_.watch(fd_.get(), events_, [weak](uint32_t ev) {
    if (auto c = weak.lock()) c->on_io(ev);
  });
  update_timer();
}

void Connection::set_events(uint32_t events) {
  if (events == events_ || closed_) return;
  events_ = events;
  server_.loop_.modify(fd_.get(), events_);
}

void Connection::close(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  auto self = shared_from_this();  // the server's map may hold the last reference
  if (timer_) server_.loop_.cancel(*timer_);
  timer_.reset();
  server_.loop_.unwatch(fd_.get());
  if (!why.empty()) server_.log("closed a connection from pid " + std::to_string(peer_.pid) + ": " + why);
  int fd = fd_.get();
  fd_.reset();
  if (current_) {
    auto ex = std::move(current_);
    if (auto cb = std::move(ex->on_close_)) cb();
  }
  server_.forget(fd);
}

void Connection::on_io(uint32_t events) {
  if (closed_) return;
  if (events & (EPOLLERR)) return close("");
  if (events & EPOLLOUT) flush();
  if (closed_) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) read_some();
}

void Connection::read_some() {
  size_t total = 0;
  char buf[kReadChunk];
  // While a request is being answered, keep at most one more request's worth of bytes.
  const auto& lim = server_.opts_.limits;
  size_t cap = lim.max_request_line + lim.max_header_bytes + 8;
  while (total < kMaxReadPerWakeup) {
    if (current_ && in_.size() >= cap) {
      set_events(EPOLLRDHUP | (buffered() ? uint32_t{EPOLLOUT} : 0u));  // stop reading; still hear a hang-up
      break;
    }
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return close("");
    }
    if (n == 0) {
      peer_gone_ = true;
      // A half-closed client still gets the answer to what it sent; otherwise we are done.
      if (!current_ && in_.empty() && !parser_.started()) return close("");
      if (current_ && current_->streaming_) return close("");
      set_events(buffered() ? uint32_t{EPOLLOUT} : 0u);
      break;
    }
    total += static_cast<size_t>(n);
    in_.append(buf, static_cast<size_t>(n));
    last_activity_ = server_.loop_.now();
  }
  process_input();
}

void Connection::process_input() {
  if (processing_) return;  // a handler answered synchronously: the outer loop goes on
  processing_ = true;
  while (!closed_ && !current_ && !upgrade_ && !close_after_flush_ && !in_.empty()) {
    bool was_started = parser_.started();
    size_t used = parser_.feed(in_.data(), in_.size());
    in_.erase(0, used);
    if (!was_started && parser_.started()) request_start_ = server_.loop_.now();
    if (parser_.failed()) {
      fail_request(parser_.error_status(), parser_.error_message());
      break;
    }
    if (!parser_.done()) break;
    Request req = parser_.take();
    req.peer = peer_;
    dispatch(std::move(req));
  }
  if (!closed_ && !current_ && peer_gone_ && !buffered()) close("");
  processing_ = false;
  if (!closed_) {
    if (in_.capacity() > 64 * 1024 && in_.size() < 4096) std::string(in_).swap(in_);
    update_timer();
  }
}

void Connection::fail_request(int status, const std::string& message) {
  server_.log("bad request from pid " + std::to_string(peer_.pid) + ": " + message);
  in_.clear();
  out_ += status_response(status, reason_for(status), message);
  close_after_flush_ = true;
  flush();
}

void Connection::dispatch(Request req) {
  auto m = server_.router_.match(req.method, req.path);
  req.params = m.params;
  auto ex = std::make_shared<Exchange>(weak_from_this(), std::move(req));
  current_ = ex;
  if (!m.handler) {
    if (!m.allowed.empty()) {
      std::string allow;
      for (auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
      auto body = status_json(
          405, "MethodNotAllowed",
          "the server does not allow this method on the requested resource (allowed: " + allow + ")");
      ex->respond(405, body.dump() + "\n", "application/json", {{"Allow", allow}});
    } else {
      ex->respond_status(404, "NotFound",
                         "the server could not find the requested resource (" + ex->request().method + " " +
                             ex->request().path + ")");
    }
    return;
  }
  try {
    (*m.handler)(ex);
  } catch (const std::exception& e) {
    server_.log("handler for " + ex->request().method + " " + ex->request().path + " failed: " + e.what());
    ex->respond_status(500, "InternalError", e.what());
  }
}

void Connection::send(Exchange& ex, std::string bytes, bool last, bool keep_alive) {
  if (closed_) return;
  out_ += bytes;
  if (last && current_.get() == &ex) {
    current_.reset();
    if (!keep_alive) close_after_flush_ = true;
  }
  flush();
  if (!closed_ && !current_ && !processing_) process_input();  // pipelined requests, if any
}

bool Connection::stream_write(Exchange& ex, std::string_view chunk) {
  if (closed_) return false;
  char size[24];
  int n = std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  if (buffered() + chunk.size() > server_.opts_.stream_buffer_limit) {
    // The reader is too far behind: tell it why, end the stream, and let the connection go.
    ex.stream_ended_ = true;
    if (!ex.overflow_chunk_.empty()) {
      n = std::snprintf(size, sizeof size, "%zx\r\n", ex.overflow_chunk_.size());
      out_.append(size, static_cast<size_t>(n)).append(ex.overflow_chunk_).append("\r\n");
    }
    out_ += "0\r\n\r\n";
    close_after_flush_ = true;
    server_.log("dropped a slow reader of " + ex.request().path + " (pid " + std::to_string(peer_.pid) +
                "): more than " + std::to_string(server_.opts_.stream_buffer_limit) + " bytes unread");
    if (current_.get() == &ex) {
      auto keep = std::move(current_);
      if (auto cb = std::move(keep->on_close_)) cb();
    }
    flush();
    return false;
  }
  out_.append(size, static_cast<size_t>(n)).append(chunk).append("\r\n");
  flush();
  return !closed_;
}

void Connection::begin_upgrade(std::function<void(UniqueFd, std::string)> take) {
  upgrade_ = std::move(take);
}

void Connection::flush() {
  while (out_off_ < out_.size()) {
    ssize_t n = ::send(fd_.get(), out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return close("");
    }
    out_off_ += static_cast<size_t>(n);
    last_progress_ = server_.loop_.now();
  }
  if (out_off_ == out_.size()) {
    out_.clear();
    out_off_ = 0;
    if (out_.capacity() > 64 * 1024) std::string().swap(out_);
    if (upgrade_) {
      auto take = std::move(upgrade_);
      upgrade_ = nullptr;
      std::string early = std::move(in_);
      auto self = shared_from_this();
      closed_ = true;
      if (timer_) server_.loop_.cancel(*timer_);
      timer_.reset();
      server_.loop_.unwatch(fd_.get());
      int fd = fd_.get();
      UniqueFd handed(fd_.release());
      server_.forget(fd);
      take(std::move(handed), std::move(early));
      return;
    }
    if (close_after_flush_) return close("");
    set_events(peer_gone_ ? 0u : uint32_t{EPOLLIN | EPOLLRDHUP});
  } else {
    set_events((events_ & ~EPOLLOUT) | EPOLLOUT);
    if (out_off_ > 64 * 1024 && out_off_ > out_.size() / 2) {
      out_.erase(0, out_off_);  // keep the buffer from holding what was sent
      out_off_ = 0;
    }
  }
  update_timer();
}

std::optional<Connection::Clock::time_point> Connection::deadline(std::string* what) const {
  const auto& o = server_.opts_;
  if (buffered()) {
    *what = "the client stopped reading for " + std::to_string(o.write_stall_timeout.count()) + " ms";
    return last_progress_ + o.write_stall_timeout;
  }
  if (current_) return std::nullopt;  // a handler or a stream owns the pace
  if (parser_.started()) {
    *what = "request not complete within " + std::to_string(o.request_timeout.count()) + " ms";
    return request_start_ + o.request_timeout;
  }
  *what = "";
  return last_activity_ + o.idle_timeout;
}

void Connection::update_timer() {
  if (closed_) return;
  std::string what;
  auto due = deadline(&what);
  if (!due) return;  // an armed timer fires, finds nothing due, and stays off
  if (timer_ && timer_due_ <= *due) return;
  if (timer_) server_.loop_.cancel(*timer_);
  timer_due_ = *due;
  auto delay = std::chrono::ceil<std::chrono::milliseconds>(*due - server_.loop_.now());
  std::weak_ptr<Connection> weak = shared_from_this();
  timer_ = server_.loop_.after(std::max(delay, std::chrono::milliseconds(0)), [weak] {
    if (auto c = weak.lock()) c->on_timer();
  });
}

void Connection::on_timer() {
  timer_.reset();
  if (closed_) return;
  std::string what;
  auto due = deadline(&what);
  if (due && *due <= server_.loop_.now()) {
    if (parser_.started() && !buffered() && !current_) {
      fail_request(408, what);  // tell a slow client why, then go
      if (!closed_) close(what);
      return;
    }
    return close(what);
  }
  update_timer();
}

}  // namespace skiff::api
