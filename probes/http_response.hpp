// An HTTP/1.x response read incrementally with bounded memory, for a prober that needs only the
// status, a Location and the first 10 KiB of the body. Whatever the server sends (an endless header,
// a body of gigabytes, garbage), the parser keeps at most one header line and the capped body.
// Limits and wording follow Go's net/http client, which the kubelet's prober uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace skiff::probes {

class HttpResponseParser {
 public:
  static constexpr size_t kMaxBody = 10 * 1024;         // the kubelet's maxRespBodyLength
  static constexpr size_t kMaxHeaderBytes = 10u << 20;  // Go's default MaxResponseHeaderBytes
  static constexpr size_t kMaxLine = 16 * 1024;         // longest header line kept in memory
  static constexpr size_t kMaxChunkLine = 4096;         // Go's chunked reader's line limit

  enum class State { head, body, done, failed };

  // Consumes `data`; after done or failed, further data is ignored.
  void feed(std::string_view data);
  // The peer closed the connection.
  void eof();

  State state() const { return state_; }
  bool finished() const { return state_ == State::done || state_ == State::failed; }
  // After failed: why, in Go's words ("malformed HTTP response \"...\"", "EOF", ...).
  const std::string& error() const { return error_; }
  // A failure while reading the body (the status was read): the kubelet treats it as an error, not a
  // failure, because ReadAtMost's error is returned as such.
  bool failed_in_body() const { return failed_in_body_; }

  int status() const { return status_; }
  const std::string& location() const { return location_; }
  const std::string& body() const { return body_; }
  bool body_truncated() const { return truncated_; }

 private:
  enum class Body { none, length, chunked, until_eof };
  enum class Chunk { size_line, data, data_crlf, trailer };

  void feed_head(std::string_view& data);
  void head_line(std::string_view line);
  void status_line(std::string_view line);
  void header_line(std::string_view line);
  void end_of_head();
  void feed_body(std::string_view& data);
  void feed_chunked(std::string_view& data);
  void take_body(std::string_view& data, uint64_t max);
  void fail(std::string why, bool in_body = false);
  void finish_body();

  State state_ = State::head;
  std::string error_;
  bool failed_in_body_ = false;

  std::string line_;  // the current line, at most kMaxLine bytes of it
  size_t line_len_ = 0;
  bool have_status_ = false;
  size_t header_bytes_ = 0;
  int informational_ = 0;

  int status_ = 0;
  std::string location_;
  std::string transfer_encoding_;
  bool have_length_ = false;
  uint64_t content_length_ = 0;
  bool bad_length_ = false;
  std::string length_text_;

  Body body_mode_ = Body::none;
  uint64_t remaining_ = 0;
  Chunk chunk_ = Chunk::size_line;
  std::string body_;
  bool truncated_ = false;
};

}  // namespace skiff::probes
