// A TCP connection to host:port for the network probes, without blocking: the host resolved when it is a
// name, its addresses tried one after another as Go's dialer does (so "localhost" reaches a server on
// 127.0.0.1 when ::1 comes first), the first error reported in Go's words. The caller's deadline bounds
// it; destroying the connector abandons the attempt and closes what it opened.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "event_loop.hpp"
#include "net_util.hpp"
#include "resolver.hpp"

namespace skiff::probes {

class Connector {
 public:
  // The connected socket, or an empty fd and the error ("dial tcp 10.0.0.5:81: connect: ...").
  using Done = std::function<void(UniqueFd fd, std::string error)>;

  Connector(EventLoop& loop, Resolver& resolver) : loop_(loop), resolver_(resolver) {}
  ~Connector() { stop(); }
  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;

  // Calls done once (possibly before start returns, when the answer is known at once).
  void start(const std::string& host, int port, Done done);
  // TCP_NODELAY on the connection (see start_connect).
  void set_nodelay(bool on) { nodelay_ = on; }
  // The address being tried ("ip:port"), or host:port while resolving: what a timeout message names.
  const std::string& address() const { return addr_; }
  bool resolving() const { return resolving_; }

 private:
  void try_next();
  void writable();
  void stop();
  void done(UniqueFd fd, std::string error);

  EventLoop& loop_;
  Resolver& resolver_;
  Resolver::Lookup lookup_;
  std::vector<Endpoint> endpoints_;
  size_t next_ = 0;
  std::string addr_;
  std::string first_error_;
  UniqueFd fd_;
  bool watching_ = false;
  bool resolving_ = false;
  bool nodelay_ = false;
  Done done_;
};

}  // namespace skiff::probes
