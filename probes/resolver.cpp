#include "resolver.hpp"

#include <netdb.h>
#include <netinet/in.h>

#include <atomic>
#include <cstring>

namespace skiff::probes {

struct Resolver::Lookup::State {
  int port = 0;
  Done done;
  std::atomic<bool> cancelled{false};
};

Resolver::Lookup::~Lookup() {
  if (state_) state_->cancelled = true;
}

Resolver::~Resolver() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stopping_ = true;
    for (auto& [host, st] : queue_) st->cancelled = true;
    queue_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Resolver::Lookup Resolver::lookup(const std::string& host, int port, Done done) {
  Lookup l;
  l.state_ = std::make_shared<Lookup::State>();
  l.state_->port = port;
  l.state_->done = std::move(done);
  bool full;
  {
    std::lock_guard<std::mutex> g(mu_);
    full = queue_.size() >= kMaxQueued;
    if (!full) queue_.emplace_back(host, l.state_);
    if (!thread_.joinable()) thread_ = std::thread([this] { worker(); });
  }
  if (full) {
    loop_.post([st = l.state_, host] {
      if (!st->cancelled) st->done({}, "dial tcp: lookup " + host + ": too many lookups pending");
    });
  } else {
    cv_.notify_one();
  }
  return l;
}

void Resolver::worker() {
  for (;;) {
    std::string host;
    std::shared_ptr<Lookup::State> st;
    {
      std::unique_lock<std::mutex> g(mu_);
      cv_.wait(g, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      host = std::move(queue_.front().first);
      st = std::move(queue_.front().second);
      queue_.pop_front();
    }
    if (st->cancelled) continue;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
    std::vector<Endpoint> eps;
    std::string error;
    if (rc == 0) {
      for (addrinfo* ai = res; ai && eps.size() < 8; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        Endpoint e;
        std::memcpy(&e.addr, ai->ai_addr, ai->ai_addrlen);
        e.len = ai->ai_addrlen;
        if (e.addr.ss_family == AF_INET) {
          reinterpret_cast<sockaddr_in*>(&e.addr)->sin_port = htons(static_cast<uint16_t>(st->port));
        } else {
          reinterpret_cast<sockaddr_in6*>(&e.addr)->sin6_port = htons(static_cast<uint16_t>(st->port));
        }
        bool dup = false;
        for (const auto& o : eps) dup = dup || (o.len == e.len && std::memcmp(&o.addr, &e.addr, e.len) == 0);
        if (!dup) eps.push_back(e);
      }
    }
    if (eps.empty()) {
      const char* why = rc == 0 || rc == EAI_NONAME || rc == EAI_NODATA ? "no such host" : ::gai_strerror(rc);
      error = "dial tcp: lookup " + host + ": " + why;
    }
    if (res) ::freeaddrinfo(res);
    loop_.post([st, eps = std::move(eps), error] {
      if (!st->cancelled) st->done(eps, error);
    });
  }
}

}  // namespace skiff::probes
