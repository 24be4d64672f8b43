// HTTP/1.1 messages of the supervisor's API: the request a handler sees, and the incremental parser
// that builds it from a connection's bytes with every size bounded (request line, header count and
// bytes, body), so no client can make the supervisor buffer more than the limits say. Pure; a parser
// object is used by one thread at a time.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace skiff::api {

struct Limits {
  size_t max_request_line = 8192;   // 414 beyond
  size_t max_header_bytes = 16384;  // 431 beyond (all header lines together)
  size_t max_headers = 64;          // 431 beyond
  size_t max_body = 4 << 20;        // 413 beyond (a ConfigMap holds at most 1 MiB in Kubernetes)
};

struct Peer {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct Request {
  std::string method;
  std::string target;                                        // as sent: "/api/v1/pods?watch=1"
  std::string path;                                          // percent-decoded, without the query
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool keep_alive = true;
  std::map<std::string, std::string> params;  // path parameters of the matched route
  Peer peer;

  // nullptr when absent; the first one when repeated.
  const std::string* header(std::string_view lower_name) const;
  const std::string* query_param(std::string_view name) const;
  // "1", "true" (and present-but-empty) are true, as the API server reads ?watch=.
  bool query_flag(std::string_view name) const;
};

class RequestParser {
 public:
  enum class State { kHead, kBody, kChunkSize, kChunkData, kChunkEnd, kTrailers, kDone, kError };
  explicit RequestParser(Limits limits = {}) : limits_(limits) {}

  // Consumes bytes; returns how many were used (the rest belong to the next request: pipelining).
  size_t feed(const char* data, size_t n);
  State state() const { return state_; }
  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kError; }
  // True once any byte of the current request arrived (an idle keep-alive connection has none).
  bool started() const { return started_; }
  // On failure: the HTTP status to answer with, and why.
  int error_status() const { return error_status_; }
  const std::string& error_message() const { return error_; }
  // The finished request; the parser is ready for the next one.
  Request take();

 private:
  void fail(int status, std::string why);
  void parse_head();
  size_t feed_chunked(const char* data, size_t n);

  Limits limits_;
  State state_ = State::kHead;
  bool started_ = false;
  std::string head_;
  std::string line_;  // a chunk-size line or trailer line being read
  size_t body_left_ = 0;
  size_t trailer_bytes_ = 0;
  Request req_;
  int error_status_ = 0;
  std::string error_;
};

// "%2F" -> "/"; '+' -> ' ' when `plus_is_space` (query strings). False on a malformed escape.
bool percent_decode(std::string_view in, std::string& out, bool plus_is_space);
const char* status_text(int status);

}  // namespace skiff::api
