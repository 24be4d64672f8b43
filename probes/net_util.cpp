#include "net_util.hpp"

#include "text_util.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

namespace skiff::probes {

std::string join_host_port(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::string Endpoint::text() const {
  char buf[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    return join_host_port(buf, ntohs(a->sin_port));
  }
  const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
  ::inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
  return join_host_port(buf, ntohs(a->sin6_port));
}

std::optional<Endpoint> numeric_endpoint(const std::string& host_in, int port) {
  std::string host = host_in;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  Endpoint ep;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ep.addr);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    ep.len = sizeof(sockaddr_in);
    return ep;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ep.addr);
  if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    ep.len = sizeof(sockaddr_in6);
    return ep;
  }
  return std::nullopt;
}

UniqueFd start_connect(const Endpoint& ep, int& err, bool nodelay) {
  UniqueFd fd(::socket(ep.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!fd) {
    err = errno;
    return {};
  }
  int one = 1;
  if (nodelay) ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&ep.addr), ep.len) == 0) {
    err = 0;
  } else if (errno == EINPROGRESS) {
    // To a local or bridged peer the handshake is often over by now: checking costs one syscall, and
    // saves a watch and a wake-up per probe.
    pollfd p{fd.get(), POLLOUT, 0};
    err = ::poll(&p, 1, 0) == 1 ? connect_result(fd.get()) : EINPROGRESS;
    if (err && err != EINPROGRESS) return {};
  } else {
    err = errno;
    return {};
  }
  return fd;
}

int connect_result(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return errno;
  return err;
}

std::string dial_error(const std::string& addr, int err) {
  // Go names the failing syscall ("connect: ") before strerror in lower case.
  return "dial tcp " + addr + ": connect: " + errno_text(err);
}

std::string dial_timeout(const std::string& addr) {
  return "dial tcp " + addr + ": i/o timeout";
}

}  // namespace skiff::probes
