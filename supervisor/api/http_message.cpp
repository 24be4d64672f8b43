#include "api/http_message.hpp"

#include <algorithm>
#include <cctype>

namespace skiff::api {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percent_decode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int h = hex_value(in[i + 1]);
      int l = hex_value(in[i + 2]);
      if (h < 0 || l < 0) return false;
      out += static_cast<char>(h * 16 + l);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return true;
}

const std::string* Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

const std::string* Request::query_param(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return &v;
  return nullptr;
}

bool Request::query_flag(std::string_view name) const {
  const std::string* v = query_param(name);
  return v && (v->empty() || *v == "1" || *v == "true");
}

void RequestParser::fail(int status, std::string why) {
  state_ = State::kError;
  error_status_ = status;
  error_ = std::move(why);
}

size_t RequestParser::feed(const char* data, size_t n) {
  size_t used = 0;
  while (used < n && state_ != State::kDone && state_ != State::kError) {
    started_ = true;
    if (state_ == State::kHead) {
      // Bytes up to the blank line; bounded before the end is seen (slow or hostile clients).
      size_t before = head_.size();
      size_t take = n - used;
      head_.append(data + used, take);
      size_t search_from = before >= 3 ? before - 3 : 0;
      size_t end = head_.find("\r\n\r\n", search_from);
      size_t line_end = head_.find("\r\n");
      if ((line_end == std::string::npos ? head_.size() : line_end) > limits_.max_request_line) {
        fail(414, "request line longer than " + std::to_string(limits_.max_request_line) + " bytes");
        return n;
      }
      if (end == std::string::npos) {
        if (head_.size() > limits_.max_request_line + limits_.max_header_bytes + 4) {
          fail(431, "request headers larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
          return n;
        }
        used += take;
        continue;
      }
      size_t head_len = end + 4;
      used += head_len - before;
      head_.resize(head_len);
      parse_head();
      continue;
    }
    if (state_ == State::kBody) {
      size_t take = std::min(body_left_, n - used);
      req_.body.append(data + used, take);
      used += take;
      body_left_ -= take;
      if (body_left_ == 0) state_ = State::kDone;
      continue;
    }
    used += feed_chunked(data + used, n - used);
  }
  return used;
}

void RequestParser::parse_head() {
  std::string_view h(head_);
  size_t eol = h.find("\r\n");
  std::string_view line = h.substr(0, eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
      line.find(' ', sp2 + 1) != std::string_view::npos)
    return fail(400, "malformed request line");
  req_.method = std::string(line.substr(0, sp1));
  req_.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  std::string_view version = line.substr(sp2 + 1);
  if (req_.method.empty() || !std::all_of(req_.method.begin(), req_.method.end(), token_char))
    return fail(400, "malformed method");
  if (version == "HTTP/1.0")
    req_.keep_alive = false;
  else if (version != "HTTP/1.1")
    return fail(505, "only HTTP/1.1 and 1.0 are served");
  if (req_.target.empty() || req_.target[0] != '/') return fail(400, "the request target must be a path");

  size_t q = req_.target.find('?');
  if (!percent_decode(std::string_view(req_.target).substr(0, q), req_.path, false) ||
      req_.path.find('\0') != std::string::npos)
    return fail(400, "malformed path");
  if (q != std::string::npos) {
    std::string_view qs = std::string_view(req_.target).substr(q + 1);
    while (!qs.empty()) {
      size_t amp = qs.find('&');
      std::string_view kv = qs.substr(0, amp);
      qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
      if (kv.empty()) continue;
      size_t eq = kv.find('=');
      std::string k, v;
      if (!percent_decode(kv.substr(0, eq), k, true) ||
          !percent_decode(eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1), v, true))
        return fail(400, "malformed query string");
      req_.query.emplace_back(std::move(k), std::move(v));
    }
  }

  size_t pos = eol + 2;
  size_t header_bytes = 0;
  while (pos < h.size() - 2) {
    size_t e = h.find("\r\n", pos);
    std::string_view hl = h.substr(pos, e - pos);
    header_bytes += hl.size() + 2;
    pos = e + 2;
    if (hl.empty()) break;
    if (hl[0] == ' ' || hl[0] == '\t') return fail(400, "obsolete header line folding");
    size_t colon = hl.find(':');
    if (colon == std::string_view::npos || colon == 0) return fail(400, "malformed header line");
    std::string_view name = hl.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), token_char)) return fail(400, "malformed header name");
    req_.headers.emplace_back(lower(name), std::string(trim(hl.substr(colon + 1))));
    if (req_.headers.size() > limits_.max_headers)
      return fail(431, "more than " + std::to_string(limits_.max_headers) + " headers");
  }
  if (header_bytes > limits_.max_header_bytes)
    return fail(431, "request headers larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
  head_.clear();
  head_.shrink_to_fit();

  if (const std::string* c = req_.header("connection")) {
    std::string v = lower(*c);
    if (v.find("close") != std::string::npos) req_.keep_alive = false;
    if (v.find("keep-alive") != std::string::npos) req_.keep_alive = true;
  }
  const std::string* te = req_.header("transfer-encoding");
  const std::string* cl = req_.header("content-length");
  if (te && cl) return fail(400, "both Content-Length and Transfer-Encoding");  // request smuggling
  if (te) {
    if (lower(*te) != "chunked") return fail(501, "transfer encoding \"" + *te + "\" is not supported");
    state_ = State::kChunkSize;
    return;
  }
  if (cl) {
    if (cl->empty() || cl->size() > 15 || !std::all_of(cl->begin(), cl->end(), ::isdigit))
      return fail(400, "malformed Content-Length");
    size_t len = std::stoull(*cl);
    for (const auto& [k, v] : req_.headers)
      if (k == "content-length" && v != *cl) return fail(400, "conflicting Content-Length headers");
    if (len > limits_.max_body)
      return fail(413, "request body larger than " + std::to_string(limits_.max_body) + " bytes");
    body_left_ = len;
    // No reserve(len): a client announcing 4 MiB and sending nothing must not cost 4 MiB.
    state_ = len ? State::kBody : State::kDone;
    return;
  }
  state_ = State::kDone;
}

size_t RequestParser::feed_chunked(const char* data, size_t n) {
  size_t used = 0;
  auto read_line = [&](size_t max) -> bool {  // true when line_ holds a whole line (CRLF stripped)
    while (used < n) {
      char c = data[used++];
      line_ += c;
      if (line_.size() >= 2 && line_.compare(line_.size() - 2, 2, "\r\n") == 0) {
        line_.resize(line_.size() - 2);
        return true;
      }
      if (line_.size() > max) {
        fail(400, "chunked encoding line too long");
        return false;
      }
    }
    return false;
  };
  while (used < n && state_ != State::kDone && state_ != State::kError) {
    switch (state_) {
      case State::kChunkSize: {
        if (!read_line(1024)) break;
        std::string_view sz(line_);
        sz = sz.substr(0, sz.find(';'));
        sz = trim(sz);
        size_t v = 0;
        if (sz.empty() || sz.size() > 15) return fail(400, "malformed chunk size"), n;
        for (char c : sz) {
          int d = hex_value(c);
          if (d < 0) return fail(400, "malformed chunk size"), n;
          v = v * 16 + static_cast<size_t>(d);
        }
        line_.clear();
        if (v == 0) {
          state_ = State::kTrailers;
          break;
        }
        if (req_.body.size() + v > limits_.max_body)
          return fail(413, "request body larger than " + std::to_string(limits_.max_body) + " bytes"), n;
        body_left_ = v;
        state_ = State::kChunkData;
        break;
      }
      case State::kChunkData: {
        size_t take = std::min(body_left_, n - used);
        req_.body.append(data + used, take);
        used += take;
        body_left_ -= take;
        if (body_left_ == 0) state_ = State::kChunkEnd;
        break;
      }
      case State::kChunkEnd:
        if (!read_line(2)) break;
        if (!line_.empty()) return fail(400, "missing CRLF after a chunk"), n;
        state_ = State::kChunkSize;
        break;
      case State::kTrailers:
        if (!read_line(limits_.max_header_bytes)) break;
        trailer_bytes_ += line_.size() + 2;
        if (trailer_bytes_ > limits_.max_header_bytes) return fail(431, "trailers too large"), n;
        if (line_.empty()) state_ = State::kDone;
        line_.clear();
        break;
      default:
        return used;
    }
  }
  return used;
}

Request RequestParser::take() {
  Request r = std::move(req_);
  req_ = Request();
  head_.clear();
  line_.clear();
  body_left_ = trailer_bytes_ = 0;
  state_ = State::kHead;
  started_ = false;
  return r;
}

const char* status_text(int s) {
  switch (s) {
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace skiff::api
