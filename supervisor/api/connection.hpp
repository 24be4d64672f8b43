// Connection: one accepted API connection (the server's internal part; handlers see only Exchange).
// Reads and parses requests, writes responses and streams, and keeps one timer for the deadline that
// applies in its current state (request arriving, idle keep-alive, client not reading).
#pragma once

#include <sys/epoll.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "api/server.hpp"

namespace skiff::api {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server& server, UniqueFd fd, Peer peer);
  void start();
  int fd() const { return fd_.get(); }
  bool closed() const { return closed_; }
  void close(const std::string& why);

  // From Exchange.
  void send(Exchange& ex, std::string bytes, bool last, bool keep_alive);
  bool stream_write(Exchange& ex, std::string_view chunk);
  void begin_upgrade(std::function<void(UniqueFd, std::string)> take);
  size_t buffered() const { return out_.size() - out_off_; }

 private:
  using Clock = std::chrono::steady_clock;
  void on_io(uint32_t events);
  void read_some();
  void process_input();
  void dispatch(Request req);
  void fail_request(int status, const std::string& message);
  void flush();
  void set_events(uint32_t events);
  void update_timer();
  void on_timer();
  std::optional<Clock::time_point> deadline(std::string* what) const;

  Server& server_;
  UniqueFd fd_;
  Peer peer_;
  RequestParser parser_;
  std::string in_;
  std::string out_;
  size_t out_off_ = 0;
  std::shared_ptr<Exchange> current_;
  bool close_after_flush_ = false;
  bool closed_ = false;
  bool processing_ = false;
  bool peer_gone_ = false;
  std::function<void(UniqueFd, std::string)> upgrade_;
  uint32_t events_ = 0;
  Clock::time_point last_activity_;
  Clock::time_point request_start_;
  Clock::time_point last_progress_;
  std::optional<uint64_t> timer_;
  Clock::time_point timer_due_{};
};

}  // namespace skiff::api
