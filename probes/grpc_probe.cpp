#include "grpc_probe.hpp"

#include <nghttp2/nghttp2.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cstring>

#include "connector.hpp"
#include "loop_op.hpp"
#include "text_util.hpp"

namespace skiff::probes {
namespace {

constexpr size_t kMaxHeaderBytes = 16 * 1024;
constexpr size_t kMaxMessage = 64 * 1024;
constexpr const char* kUserAgent = "kube-probe/1.31";

std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// grpc-go's HTTPStatusConvTab.
int code_for_http_status(int status) {
  switch (status) {
    case 400:
      return 13;  // Internal
    case 401:
      return 16;  // Unauthenticated
    case 403:
      return 7;  // PermissionDenied
    case 404:
      return 12;  // Unimplemented
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;  // Unavailable
    default:
      return 2;  // Unknown
  }
}

const char* http_status_text(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

// grpc-timeout: the deadline left, in at most 8 digits (microseconds, else milliseconds).
std::string grpc_timeout(std::chrono::nanoseconds left) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
  if (us < 1) us = 1;
  if (us <= 99999999) return std::to_string(us) + "u";
  return std::to_string(us / 1000) + "m";
}

nghttp2_nv header(const std::string& name, const std::string& value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NONE};
}

class GrpcCheckOp final : public LoopOperation {
 public:
  GrpcCheckOp(EventLoop& loop, Resolver& resolver, std::chrono::milliseconds timeout, ProbeDone done)
      : LoopOperation(loop, std::move(done), timeout), connector_(loop, resolver) {
    connector_.set_nodelay(true);  // the preface, SETTINGS, HEADERS and DATA go out in several writes
  }
  ~GrpcCheckOp() override { release(); }

  void begin(const std::string& host, int port, const std::string& service) {
    arm();
    addr_ = join_host_port(host, port);
    std::string msg = encode_health_request(service);
    uint32_t n = static_cast<uint32_t>(msg.size());
    request_ = std::string{'\0', static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                           static_cast<char>(n >> 8), static_cast<char>(n)} +
               msg;
    connector_.start(host, port, [this](UniqueFd fd, std::string err) {
      if (!fd) return connect_failed(err);
      fd_ = std::move(fd);
      connected();
    });
    started();
  }

 private:
  void connect_failed(const std::string& err) {
    finish(Result::failure, "error: failed to connect service at \"" + addr_ + "\": " + err);
  }

  void rpc_failed(int code, const std::string& desc) {
    if (code == 12)
      return finish(
          Result::failure,
          "error: this server does not implement the grpc health protocol (grpc.health.v1.Health): " + desc);
    if (code == 4) return finish(Result::failure, "timeout: health rpc did not complete within " + within());
    finish(Result::failure, std::string("error: health rpc probe failed: rpc error: code = ") +
                                grpc_code_name(code) + " desc = " + desc);
  }

  std::string within() const {
    return go_seconds(std::chrono::duration_cast<std::chrono::seconds>(timeout_).count());
  }

  void connected() {
    connected_ = true;
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &GrpcCheckOp::on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &GrpcCheckOp::on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &GrpcCheckOp::on_close);
    int rv = nghttp2_session_client_new(&session_, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0) return rpc_failed(13, std::string("nghttp2: ") + nghttp2_strerror(rv));
    nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                         {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, kMaxHeaderBytes}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2);
    std::string authority = addr_;
    std::string timeout = grpc_timeout(started_ + timeout_ - loop_.now());
    const std::string names[] = {":method",      ":scheme",    ":path", ":authority",
                                 "content-type", "user-agent", "te",    "grpc-timeout"};
    const std::string values[] = {
        "POST",     "http", "/grpc.health.v1.Health/Check", authority, "application/grpc", kUserAgent,
        "trailers", timeout};
    nghttp2_nv nva[8];
    for (int i = 0; i < 8; ++i) nva[i] = header(names[i], values[i]);
    nghttp2_data_provider body{};
    body.read_callback = &GrpcCheckOp::read_body;
    stream_ = nghttp2_submit_request(session_, nullptr, nva, timeout_.count() > 0 ? 8 : 7, &body, this);
    if (stream_ < 0) return rpc_failed(13, std::string("nghttp2: ") + nghttp2_strerror(stream_));
    flush();
  }

  // Sends what nghttp2 has queued; waits for writability when the socket is full.
  void flush() {
    for (;;) {
      if (out_off_ == out_.size()) {
        out_.clear();
        out_off_ = 0;
        const uint8_t* data = nullptr;
        ssize_t n = nghttp2_session_mem_send(session_, &data);
        if (n < 0)
          return rpc_failed(14, std::string("connection error: ") + nghttp2_strerror(static_cast<int>(n)));
        if (n == 0) break;
        out_.assign(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
      }
      ssize_t w = ::send(fd_.get(), out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
      if (w < 0 && (errno == EAGAIN || errno == EINTR)) break;
      if (w < 0) return rpc_failed(14, "connection error: write: " + errno_text(errno));
      out_off_ += static_cast<size_t>(w);
    }
    watch(fd_.get(), EPOLLIN | (out_off_ < out_.size() ? static_cast<uint32_t>(EPOLLOUT) : 0u));
  }

  void receive() {
    uint8_t buf[16384];
    for (int i = 0; i < 16 && !finished(); ++i) {
      ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
      if (n < 0) return rpc_failed(14, "error reading from server: read: " + errno_text(errno));
      if (n == 0) {
        if (!closed_) return rpc_failed(14, "error reading from server: EOF");
        break;
      }
      ssize_t rv = nghttp2_session_mem_recv(session_, buf, static_cast<size_t>(n));
      // Callbacks only note a failure: the session cannot be freed from inside itself.
      if (failure_) return rpc_failed(failure_->first, failure_->second);
      if (rv < 0)
        return rpc_failed(14, std::string("connection error: ") + nghttp2_strerror(static_cast<int>(rv)));
      if (closed_) return evaluate();
    }
    if (finished()) return;
    if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_))
      return rpc_failed(14, "connection closed by the HTTP/2 session (GOAWAY)");
    flush();
  }

  void evaluate() {
    if (!have_status_) {
      if (close_error_)
        return rpc_failed(close_error_ == NGHTTP2_REFUSED_STREAM ? 14 : 13,
                          std::string("stream terminated by RST_STREAM with error code: ") +
                              nghttp2_http2_strerror(close_error_));
      return rpc_failed(13, "server closed the stream without sending headers");
    }
    bool is_grpc = content_type_.rfind("application/grpc", 0) == 0;
    if (http_status_ != 200 || !is_grpc) {
      std::string desc;
      if (http_status_ != 200)
        desc = "unexpected HTTP status code received from server: " + std::to_string(http_status_) + " (" +
               http_status_text(http_status_) + ")";
      if (!is_grpc) {
        if (!desc.empty()) desc += "; ";
        desc += content_type_.empty()
                    ? "malformed header: missing HTTP content-type"
                    : "transport: received unexpected content-type \"" + content_type_ + "\"";
      }
      return rpc_failed(code_for_http_status(http_status_), desc);
    }
    if (!grpc_status_) return rpc_failed(13, "server closed the stream without sending trailers");
    if (*grpc_status_ != 0) return rpc_failed(*grpc_status_, percent_decode(grpc_message_));
    if (data_.size() < 5) return rpc_failed(13, "grpc: the server sent no response message");
    if (data_[0] != 0) return rpc_failed(13, "grpc: compressed flag set with identity or empty encoding");
    uint32_t len = (static_cast<uint32_t>(static_cast<uint8_t>(data_[1])) << 24) |
                   (static_cast<uint32_t>(static_cast<uint8_t>(data_[2])) << 16) |
                   (static_cast<uint32_t>(static_cast<uint8_t>(data_[3])) << 8) |
                   static_cast<uint8_t>(data_[4]);
    if (data_.size() - 5 < len) return rpc_failed(13, "grpc: the response message was cut short");
    auto status = decode_health_response(data_.substr(5, len));
    if (!status) return rpc_failed(13, "grpc: failed to unmarshal the received message");
    if (*status != 1)
      return finish(Result::failure, std::string("service unhealthy (responded with \"") +
                                         serving_status_name(*status) + "\")");
    finish(Result::success, "service healthy");
  }

  static ssize_t read_body(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                           nghttp2_data_source*, void* user) {
    auto* op = static_cast<GrpcCheckOp*>(user);
    size_t n = std::min(length, op->request_.size() - op->request_off_);
    std::memcpy(buf, op->request_.data() + op->request_off_, n);
    op->request_off_ += n;
    if (op->request_off_ == op->request_.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                       const uint8_t* value, size_t valuelen, uint8_t, void* user) {
    auto* op = static_cast<GrpcCheckOp*>(user);
    if (frame->hd.stream_id != op->stream_) return 0;
    op->header_bytes_ += namelen + valuelen + 32;  // RFC 9113's accounting
    if (op->header_bytes_ > kMaxHeaderBytes) {
      op->failure_ = {8, "header list size to receive exceeds its limit"};  // ResourceExhausted
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    std::string n(reinterpret_cast<const char*>(name), namelen);
    std::string v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") {
      op->have_status_ = true;
      op->http_status_ = std::atoi(v.c_str());
    } else if (n == "content-type") {
      op->content_type_ = v;
    } else if (n == "grpc-status") {
      op->grpc_status_ = std::atoi(v.c_str());
    } else if (n == "grpc-message") {
      op->grpc_message_ = v;
    }
    return 0;
  }

  static int on_data(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len,
                     void* user) {
    auto* op = static_cast<GrpcCheckOp*>(user);
    if (stream_id != op->stream_) return 0;
    if (op->data_.size() + len > kMaxMessage) {
      op->failure_ = {8, "grpc: received message larger than max (" + std::to_string(op->data_.size() + len) +
                             " vs. " + std::to_string(kMaxMessage) + ")"};
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    op->data_.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static int on_close(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user) {
    auto* op = static_cast<GrpcCheckOp*>(user);
    if (stream_id == op->stream_) {
      op->closed_ = true;
      op->close_error_ = error_code;
    }
    return 0;
  }

  void on_io(uint32_t events) override {
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) return receive();
    flush();
  }

  void on_timeout() override {
    if (!connected_)
      return finish(Result::failure, "timeout: failed to connect service \"" + addr_ + "\" within " +
                                         within() + ": context deadline exceeded");
    finish(Result::failure, "timeout: health rpc did not complete within " + within());
  }

  void release() override {
    unwatch();
    if (session_) nghttp2_session_del(session_);
    session_ = nullptr;
    fd_.reset();
  }

  Connector connector_;
  std::string addr_;
  UniqueFd fd_;
  bool connected_ = false;
  nghttp2_session* session_ = nullptr;
  int32_t stream_ = -1;
  std::string request_;
  size_t request_off_ = 0;
  std::string out_;
  size_t out_off_ = 0;
  size_t header_bytes_ = 0;
  bool have_status_ = false;
  int http_status_ = 0;
  std::string content_type_;
  std::optional<int> grpc_status_;
  std::string grpc_message_;
  std::string data_;
  bool closed_ = false;
  uint32_t close_error_ = 0;
  std::optional<std::pair<int, std::string>> failure_;
};

// Protobuf varint.
void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

bool get_varint(const std::string& in, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && pos < in.size(); shift += 7) {
    auto b = static_cast<uint8_t>(in[pos++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

}  // namespace

std::string encode_health_request(const std::string& service) {
  std::string out;
  if (service.empty()) return out;  // proto3 leaves a default field out
  out += '\x0a';                    // field 1, length-delimited
  put_varint(out, service.size());
  out += service;
  return out;
}

std::optional<int> decode_health_response(const std::string& m) {
  int status = 0;  // absent: the default, UNKNOWN
  size_t pos = 0;
  while (pos < m.size()) {
    uint64_t key;
    if (!get_varint(m, pos, key)) return std::nullopt;
    uint64_t field = key >> 3, type = key & 7;
    uint64_t v;
    if (type == 0) {
      if (!get_varint(m, pos, v)) return std::nullopt;
      if (field == 1) status = static_cast<int>(v);
    } else if (type == 2) {
      if (!get_varint(m, pos, v) || v > m.size() - pos) return std::nullopt;
      pos += v;
    } else if (type == 5) {
      if (m.size() - pos < 4) return std::nullopt;
      pos += 4;
    } else if (type == 1) {
      if (m.size() - pos < 8) return std::nullopt;
      pos += 8;
    } else {
      return std::nullopt;
    }
  }
  return status;
}

const char* serving_status_name(int status) {
  switch (status) {
    case 0:
      return "UNKNOWN";
    case 1:
      return "SERVING";
    case 2:
      return "NOT_SERVING";
    case 3:
      return "SERVICE_UNKNOWN";
    default:
      return "UNRECOGNIZED";
  }
}

const char* grpc_code_name(int code) {
  static const char* names[] = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  return code >= 0 && code <= 16 ? names[code] : "Unknown";
}

std::string go_seconds(int64_t s) {
  if (s < 60) return std::to_string(s) + "s";
  std::string out;
  if (s >= 3600) out += std::to_string(s / 3600) + "h";
  out += std::to_string((s % 3600) / 60) + "m";
  out += std::to_string(s % 60) + "s";
  return out;
}

std::unique_ptr<ProbeOperation> start_grpc_check(EventLoop& loop, Resolver& resolver, const std::string& host,
                                                 int port, const std::string& service,
                                                 std::chrono::milliseconds timeout, ProbeDone done) {
  auto op = std::make_unique<GrpcCheckOp>(loop, resolver, timeout, std::move(done));
  op->begin(host, port, service);
  return op;
}

}  // namespace skiff::probes
