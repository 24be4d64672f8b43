#include "connector.hpp"

#include <sys/epoll.h>

namespace skiff::probes {

void Connector::start(const std::string& host, int port, Done done) {
  done_ = std::move(done);
  addr_ = join_host_port(host, port);
  if (auto ep = numeric_endpoint(host, port)) {
    endpoints_ = {*ep};
    return try_next();
  }
  resolving_ = true;
  lookup_ = resolver_.lookup(host, port, [this](std::vector<Endpoint> eps, std::string err) {
    resolving_ = false;
    if (eps.empty()) return this->done({}, err);
    endpoints_ = std::move(eps);
    try_next();
  });
}

void Connector::try_next() {
  while (next_ < endpoints_.size()) {
    const Endpoint& ep = endpoints_[next_++];
    addr_ = ep.text();
    int err = 0;
    fd_ = start_connect(ep, err, nodelay_);
    if (fd_ && err == 0) return done(std::move(fd_), "");
    if (fd_ && err == EINPROGRESS) {
      loop_.watch(fd_.get(), EPOLLOUT, [this](uint32_t) { writable(); });
      watching_ = true;
      return;
    }
    if (first_error_.empty()) first_error_ = dial_error(addr_, err);
  }
  done({}, first_error_);
}

void Connector::writable() {
  loop_.unwatch(fd_.get());
  watching_ = false;
  int err = connect_result(fd_.get());
  if (err == 0) return done(std::move(fd_), "");
  if (first_error_.empty()) first_error_ = dial_error(addr_, err);
  fd_.reset();
  try_next();
}

void Connector::stop() {
  if (watching_) loop_.unwatch(fd_.get());
  watching_ = false;
  lookup_ = {};
  fd_.reset();
}

void Connector::done(UniqueFd fd, std::string error) {
  stop();
  auto cb = std::move(done_);
  done_ = nullptr;
  if (cb) cb(std::move(fd), std::move(error));  // may destroy *this
}

}  // namespace skiff::probes
