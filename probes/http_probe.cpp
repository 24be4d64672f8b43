// One httpGet, redirects included, as a state machine on the loop: resolve (names only), connect,
// TLS handshake (HTTPS), send, receive; a followed redirect starts over on a new connection.
#include "http_probe.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>

#include "connector.hpp"
#include "error.hpp"
#include "http_response.hpp"
#include "loop_op.hpp"
#include "text_util.hpp"
#include "tls_client.hpp"

namespace skiff::probes {
namespace {

constexpr int kMaxRequests = 10;  // Go's client stops after 10 redirects

// Go's CanonicalMIMEHeaderKey for the valid names the API allows ([-A-Za-z0-9]+).
std::string canonical(const std::string& name) {
  std::string out = name;
  bool upper = true;
  for (char& c : out) {
    c = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c))
                                : std::tolower(static_cast<unsigned char>(c)));
    upper = c == '-';
  }
  return out;
}

// httpguts.ValidHeaderFieldValue: no control bytes but tab.
bool valid_value(const std::string& v) {
  return std::none_of(v.begin(), v.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
  });
}

// httpguts.ValidHostHeader, roughly: printable ASCII without spaces and a few delimiters.
bool valid_host(const std::string& h) {
  return std::none_of(h.begin(), h.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c <= 0x20 || c >= 0x7f || std::strchr("\"<>\\^`{|}", ch) != nullptr;
  });
}

bool followed(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

class HttpGetOp final : public LoopOperation {
 public:
  HttpGetOp(EventLoop& loop, Resolver& resolver, HttpGetRequest req, std::chrono::milliseconds timeout,
            ProbeDone done)
      : LoopOperation(loop, std::move(done), timeout), resolver_(resolver), req_(std::move(req)) {
    first_url_ = req_.url;
    for (const auto& h : req_.headers)
      if (canonical(h.name) == "Host") {
        host_override_ = h.value;
        break;
      }
  }

  ~HttpGetOp() override { drop_connection(); }

  void begin() {
    arm();
    request(req_.url, host_override_.empty() ? req_.url.authority() : host_override_);
    started();
  }

 private:
  enum class Phase { connecting, handshaking, sending, receiving };

  std::string url_error(const std::string& err) const { return "Get " + go_quote(url_.str()) + ": " + err; }

  void fail(const std::string& err) { finish(Result::failure, url_error(err)); }

  void request(const HttpUrl& url, const std::string& host_header) {
    drop_connection();
    url_ = url;
    host_header_ = host_header;
    ++requests_;
    parser_ = HttpResponseParser();
    if (url_.scheme != "http" && url_.scheme != "https")
      return finish(Result::failure, url_error("unsupported protocol scheme " + go_quote(url_.scheme)));
    if (!valid_host(host_header)) return fail("http: invalid Host header");
    try {
      out_ = build_request(req_, url_, host_header, referer_);
    } catch (const Error& e) {
      return fail(e.what());
    }
    sent_ = 0;
    phase_ = Phase::connecting;
    connector_ = std::make_unique<Connector>(loop_, resolver_);
    connector_->set_nodelay(url_.scheme == "https");
    connector_->start(url_.host, url_.port, [this](UniqueFd fd, std::string err) {
      if (!fd) return fail(err);
      fd_ = std::move(fd);
      connected();
    });
  }

  void connected() {
    if (url_.scheme == "https") {
      try {
        tls_ = std::make_unique<TlsClient>(TlsClient::context(), fd_.get(), url_.host);
      } catch (const Error& e) {
        return fail(e.what());
      }
      phase_ = Phase::handshaking;
      return handshake();
    }
    phase_ = Phase::sending;
    send_request();
  }

  void wait_for(TlsClient::Io io) { watch(fd_.get(), io == TlsClient::Io::want_write ? EPOLLOUT : EPOLLIN); }

  void handshake() {
    auto io = tls_->handshake();
    if (io == TlsClient::Io::ok) {
      phase_ = Phase::sending;
      return send_request();
    }
    if (io == TlsClient::Io::want_read || io == TlsClient::Io::want_write) return wait_for(io);
    if (tls_->peer_spoke_http()) {
      if (req_.any_response_succeeds && !http_fallback_) {
        http_fallback_ = true;
        HttpUrl plain = url_;
        plain.scheme = "http";
        return request(plain, host_header_);
      }
      return fail("http: server gave HTTP response to HTTPS client");
    }
    fail("tls: " + (io == TlsClient::Io::closed ? std::string("EOF") : tls_->error()));
  }

  void send_request() {
    while (sent_ < out_.size()) {
      size_t n = 0;
      if (tls_) {
        auto io = tls_->write(out_.data() + sent_, out_.size() - sent_, n);
        if (io == TlsClient::Io::want_read || io == TlsClient::Io::want_write) return wait_for(io);
        if (io != TlsClient::Io::ok) return fail("tls: " + tls_->error());
      } else {
        ssize_t w = ::send(fd_.get(), out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) return watch(fd_.get(), EPOLLOUT);
        if (w < 0) return fail("write: " + errno_text(errno));
        n = static_cast<size_t>(w);
      }
      sent_ += n;
    }
    phase_ = Phase::receiving;
    watch(fd_.get(), EPOLLIN);  // the answer cannot be there yet: no read until it is
  }

  void receive() {
    char buf[16384];
    // Bounded work per wake-up: a fast sender cannot keep the loop to itself.
    for (int i = 0; i < 16 && !parser_.finished(); ++i) {
      size_t n = 0;
      bool eof = false;
      if (tls_) {
        auto io = tls_->read(buf, sizeof buf, n);
        if (io == TlsClient::Io::want_read || io == TlsClient::Io::want_write) {
          wait_for(io);
          break;
        }
        if (io == TlsClient::Io::failed) return read_failed("tls: " + tls_->error());
        eof = io == TlsClient::Io::closed;
      } else {
        ssize_t r = ::recv(fd_.get(), buf, sizeof buf, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) break;
        if (r < 0) return read_failed("read: " + errno_text(errno));
        eof = r == 0;
        n = static_cast<size_t>(r);
      }
      if (eof) {
        parser_.eof();
      } else {
        parser_.feed(std::string_view(buf, n));
      }
      if (parser_.state() != HttpResponseParser::State::head && maybe_redirect()) return;
    }
    if (parser_.finished()) response_done();
  }

  void read_failed(const std::string& err) {
    if (parser_.state() == HttpResponseParser::State::head) return fail(err);
    // ReadAtMost's error: the kubelet returns it as an error, so the run is retried and discarded.
    finish(Result::failure, err, /*is_error=*/true);
  }

  // With the head read: follows a redirect when the client would. True when the operation moved on.
  bool maybe_redirect() {
    if (parser_.state() == HttpResponseParser::State::failed) return false;
    int status = parser_.status();
    const std::string& loc = parser_.location();
    if (!followed(status) || loc.empty()) return false;
    auto next = resolve_location(url_, loc);
    if (!next) {
      fail("failed to parse Location header " + go_quote(loc));
      return true;
    }
    // The kubelet's redirect checker: another host ends the chain with this (3xx) response.
    if (!req_.follow_other_hosts && next->host != first_url_.host) return false;
    if (requests_ >= kMaxRequests) {
      finish(Result::failure, "Get " + go_quote(loc) + ": stopped after 10 redirects");
      return true;
    }
    // Go keeps a custom Host through a relative redirect only; the Referer names the previous URL.
    std::string host = !host_override_.empty() && host_override_ != first_url_.authority() && !has_scheme(loc)
                           ? host_override_
                           : next->authority();
    referer_ = url_.scheme == "https" && next->scheme == "http" ? "" : url_.str();
    request(*next, host);
    return true;
  }

  void response_done() {
    if (parser_.state() == HttpResponseParser::State::failed) {
      if (parser_.failed_in_body()) return finish(Result::failure, parser_.error(), /*is_error=*/true);
      if (parser_.error() == "EOF") return fail("EOF");
      return fail("net/http: HTTP/1.x transport connection broken: " + parser_.error());
    }
    int status = parser_.status();
    if (req_.any_response_succeeds) return finish(Result::success, "");
    if (status >= 200 && status < 400) {
      if (status >= 300)
        return finish(Result::warning, "Probe terminated redirects, Response body: " + parser_.body());
      return finish(Result::success, parser_.body());
    }
    finish(Result::failure, "HTTP probe failed with statuscode: " + std::to_string(status));
  }

  void on_io(uint32_t events) override {
    (void)events;
    switch (phase_) {
      case Phase::connecting:
        return;  // the connector watches its own socket
      case Phase::handshaking:
        return handshake();
      case Phase::sending:
        return send_request();
      case Phase::receiving:
        return receive();
    }
  }

  void on_timeout() override {
    if (phase_ == Phase::receiving && parser_.state() != HttpResponseParser::State::head)
      return finish(Result::failure,
                    "context deadline exceeded (Client.Timeout or context cancellation while reading body)",
                    /*is_error=*/true);
    fail("context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
  }

  void drop_connection() {
    unwatch();
    connector_.reset();
    tls_.reset();
    fd_.reset();
  }

  void release() override { drop_connection(); }

  Resolver& resolver_;
  HttpGetRequest req_;
  HttpUrl first_url_;
  HttpUrl url_;
  std::string host_override_;
  std::string host_header_;
  std::string referer_;
  bool http_fallback_ = false;
  int requests_ = 0;
  Phase phase_ = Phase::connecting;
  std::unique_ptr<Connector> connector_;
  UniqueFd fd_;
  std::unique_ptr<TlsClient> tls_;
  std::string out_;
  size_t sent_ = 0;
  HttpResponseParser parser_;
};

}  // namespace

HttpGetRequest probe_request(const HttpGetAction& action, const std::string& pod_ip, int port) {
  HttpGetRequest r;
  r.url = probe_url(action.scheme == Scheme::https, action.host.empty() ? pod_ip : action.host, port,
                    action.path);
  r.headers = action.headers;
  return r;
}

std::string build_request(const HttpGetRequest& req, const HttpUrl& url, const std::string& host_header,
                          const std::string& referer) {
  // http.Header: canonical names, values in order; Host and User-Agent are written apart.
  std::map<std::string, std::vector<std::string>> headers;
  for (const auto& h : req.headers) headers[canonical(h.name)].push_back(h.value);
  std::string ua = std::string("kube-") + req.purpose + "/" + kKubeVersion;
  if (auto it = headers.find("User-Agent"); it != headers.end()) ua = it->second.front();
  if (auto it = headers.find("Accept"); it == headers.end()) {
    headers["Accept"] = {"*/*"};
  } else if (it->second.front().empty()) {
    headers.erase(it);  // an Accept given empty removes it
  }
  if (!referer.empty()) headers["Referer"] = {referer};
  for (const char* skip :
       {"Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer", "Connection"})
    headers.erase(skip);
  std::string out = "GET " + url.target + " HTTP/1.1\r\nHost: " + host_header + "\r\n";
  if (!valid_value(ua)) throw Error("net/http: invalid header field value for \"User-Agent\"");
  if (!ua.empty()) out += "User-Agent: " + ua + "\r\n";
  for (const auto& [name, values] : headers)
    for (const auto& v : values) {
      if (!valid_value(v)) throw Error("net/http: invalid header field value for " + go_quote(name));
      out += name + ": " + v + "\r\n";
    }
  out += "Connection: close\r\n\r\n";
  return out;
}

std::unique_ptr<ProbeOperation> start_http_get(EventLoop& loop, Resolver& resolver, HttpGetRequest req,
                                               std::chrono::milliseconds timeout, ProbeDone done) {
  auto op = std::make_unique<HttpGetOp>(loop, resolver, std::move(req), timeout, std::move(done));
  op->begin();
  return op;
}

}  // namespace skiff::probes
