#include "http_response.hpp"

#include "text_util.hpp"

#include <algorithm>
#include <cctype>

namespace skiff::probes {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool valid_version(std::string_view v) {
  // Go's ParseHTTPVersion: "HTTP/" digit "." digit.
  return v.size() == 8 && v.substr(0, 5) == "HTTP/" && std::isdigit(static_cast<unsigned char>(v[5])) &&
         v[6] == '.' && std::isdigit(static_cast<unsigned char>(v[7]));
}

constexpr int kMax1xx = 5;  // Go's max1xxResponses

}  // namespace

void HttpResponseParser::fail(std::string why, bool in_body) {
  if (finished()) return;
  state_ = State::failed;
  error_ = std::move(why);
  failed_in_body_ = in_body;
}

void HttpResponseParser::feed(std::string_view data) {
  while (!data.empty() && !finished()) {
    if (state_ == State::head) {
      feed_head(data);
    } else {
      feed_body(data);
    }
  }
}

void HttpResponseParser::feed_head(std::string_view& data) {
  size_t nl = data.find('\n');
  size_t take = nl == std::string_view::npos ? data.size() : nl + 1;
  header_bytes_ += take;
  if (header_bytes_ > kMaxHeaderBytes) {
    fail("net/http: server response headers exceeded " + std::to_string(kMaxHeaderBytes) + " bytes; aborted");
    return;
  }
  std::string_view part = data.substr(0, nl == std::string_view::npos ? take : nl);
  line_len_ += part.size();
  if (line_.size() < kMaxLine) line_.append(part.substr(0, kMaxLine - line_.size()));
  data.remove_prefix(take);
  if (nl == std::string_view::npos) return;
  std::string_view line = line_;
  if (!line.empty() && line.back() == '\r' && line_len_ == line_.size()) line.remove_suffix(1);
  head_line(line);
  line_.clear();
  line_len_ = 0;
}

void HttpResponseParser::head_line(std::string_view line) {
  if (!have_status_) {
    status_line(line);
  } else if (line.empty()) {
    end_of_head();
  } else {
    header_line(line);
  }
}

void HttpResponseParser::status_line(std::string_view line) {
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return fail("malformed HTTP response " + go_quote(line, 64));
  std::string_view proto = line.substr(0, sp);
  std::string_view rest = line.substr(sp + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  std::string_view code = rest.substr(0, rest.find(' '));
  if (code.size() != 3 || !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return fail("malformed HTTP status code " + go_quote(code, 64));
  if (!valid_version(proto)) return fail("malformed HTTP version " + go_quote(proto, 64));
  status_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  have_status_ = true;
}

void HttpResponseParser::header_line(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') return;  // an obsolete continuation: nothing we read
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return fail("malformed MIME header line: " + std::string(line.substr(0, 64)));
  std::string_view name = line.substr(0, colon);
  std::string_view value = trim(line.substr(colon + 1));
  bool wanted =
      iequals(name, "location") || iequals(name, "content-length") || iequals(name, "transfer-encoding");
  if (!wanted) return;
  if (line_len_ > kMaxLine) return fail("net/http: header line too long");
  if (iequals(name, "location")) {
    if (location_.empty()) location_ = std::string(value);
  } else if (iequals(name, "transfer-encoding")) {
    if (!transfer_encoding_.empty())
      return fail("too many transfer encodings: [" + go_quote(transfer_encoding_, 64) + " " +
                  go_quote(value, 64) + "]");
    transfer_encoding_ = std::string(value);
  } else {
    if (have_length_ && value != length_text_)
      return fail("http: message cannot contain multiple Content-Length headers; got " + go_quote(value, 64));
    if (value.empty() || value.size() > 19 ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return fail("bad Content-Length " + go_quote(value, 64));
    length_text_ = std::string(value);
    content_length_ = std::stoull(length_text_);
    have_length_ = true;
  }
}

void HttpResponseParser::end_of_head() {
  if (status_ >= 100 && status_ <= 199 && status_ != 101) {
    // An informational response (100 Continue, 103 Early Hints): the real one follows.
    static_assert(kMax1xx > 0);
    if (++informational_ > kMax1xx) return fail("net/http: too many 1xx informational responses");
    have_status_ = false;
    location_.clear();
    transfer_encoding_.clear();
    have_length_ = false;
    length_text_.clear();
    return;
  }
  if (!transfer_encoding_.empty() && !iequals(transfer_encoding_, "chunked"))
    return fail("unsupported transfer encoding: " + go_quote(transfer_encoding_, 64));
  state_ = State::body;
  if (status_ == 101 || status_ == 204 || status_ == 304) {
    body_mode_ = Body::none;
  } else if (!transfer_encoding_.empty()) {
    body_mode_ = Body::chunked;
  } else if (have_length_) {
    body_mode_ = Body::length;
    remaining_ = content_length_;
  } else {
    body_mode_ = Body::until_eof;
  }
  if (body_mode_ == Body::none || (body_mode_ == Body::length && remaining_ == 0)) state_ = State::done;
}

void HttpResponseParser::take_body(std::string_view& data, uint64_t max) {
  size_t n = static_cast<size_t>(std::min<uint64_t>(data.size(), max));
  size_t room = kMaxBody - body_.size();
  body_.append(data.substr(0, std::min(n, room)));
  data.remove_prefix(n);
  if (body_mode_ != Body::until_eof) remaining_ -= n;
  if (body_.size() == kMaxBody) {
    // ReadAtMost stops at the limit: what follows is never read, whatever its size.
    truncated_ = true;
    state_ = State::done;
  }
}

void HttpResponseParser::feed_body(std::string_view& data) {
  switch (body_mode_) {
    case Body::none:
      data = {};
      return;
    case Body::until_eof:
      take_body(data, data.size());
      return;
    case Body::length:
      take_body(data, remaining_);
      if (remaining_ == 0 && state_ == State::body) state_ = State::done;
      return;
    case Body::chunked:
      feed_chunked(data);
      return;
  }
}

void HttpResponseParser::feed_chunked(std::string_view& data) {
  if (chunk_ == Chunk::data) {
    take_body(data, remaining_);
    if (remaining_ == 0) chunk_ = Chunk::data_crlf;
    return;
  }
  size_t nl = data.find('\n');
  std::string_view part = data.substr(0, nl == std::string_view::npos ? data.size() : nl);
  if (line_.size() + part.size() > kMaxChunkLine) return fail("header line too long", true);
  line_.append(part);
  data.remove_prefix(nl == std::string_view::npos ? data.size() : nl + 1);
  if (nl == std::string_view::npos) return;
  std::string_view line = line_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::string text(line);
  line_.clear();
  if (chunk_ == Chunk::data_crlf) {
    if (!text.empty()) return fail("malformed chunked encoding", true);
    chunk_ = Chunk::size_line;
  } else if (chunk_ == Chunk::trailer) {
    if (text.empty()) state_ = State::done;
  } else {
    std::string_view size = trim(std::string_view(text).substr(0, text.find(';')));
    if (size.empty()) return fail("invalid byte in chunk length", true);
    if (size.size() > 16) return fail("http chunk length too large", true);
    uint64_t n = 0;
    for (char c : size) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return fail("invalid byte in chunk length", true);
      n = n * 16 + static_cast<uint64_t>(
                       std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10);
    }
    if (n == 0) {
      chunk_ = Chunk::trailer;
    } else {
      remaining_ = n;
      chunk_ = Chunk::data;
    }
  }
}

void HttpResponseParser::eof() {
  if (finished()) return;
  if (state_ == State::head) {
    fail(!have_status_ && header_bytes_ == 0 ? "EOF" : "unexpected EOF");
  } else if (body_mode_ == Body::until_eof) {
    state_ = State::done;
  } else {
    fail("unexpected EOF", true);
  }
}

}  // namespace skiff::probes
