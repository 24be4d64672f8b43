// skiff-service-bench: the in-process parts of `scripts/bench services` (not a test).
//   skiff-service-bench serve PORT
//       a small HTTP/1.1 server (keep-alive, or one request per connection when asked to close),
//       answering "ok" to every request: the pods' server, so the bench measures the data path and
//       not a server's fork per connection
//   skiff-service-bench flip SERVICES.json NAME RUNS [EXTRA]
//       syncs the services (plus EXTRA generated ones of 3 endpoints each, to show a change costs
//       the same in a full table), then flips the first endpoint of NAME ready/unready RUNS times and
//       prints the time from the call to rules in place (the transaction committed), in ms:
//       "p50 P99 MAX FULLSYNC"
// State dirs from $SKIFF_SERVICE_STATE_DIR / $SKIFF_NETWORK_STATE_DIR.
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "error.hpp"
#include "file_util.hpp"
#include "service_proxy.hpp"
#include "unique_fd.hpp"

using namespace skiff;
using namespace skiff::net;

namespace {

int serve(uint16_t port) {
  UniqueFd l(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  int one = 1;
  ::setsockopt(l.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  check(::bind(l.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), "bind");
  check(::listen(l.get(), 1024), "listen");
  UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
  epoll_event ev{EPOLLIN, {.fd = l.get()}};
  check(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, l.get(), &ev), "epoll_ctl");
  std::map<int, std::string> pending;  // per connection: bytes of a request not yet complete
  static const char kReply[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nok\n";
  epoll_event events[64];
  for (;;) {
    int n = ::epoll_wait(ep.get(), events, 64, -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == l.get()) {
        for (int c; (c = ::accept4(l.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
          epoll_event cev{EPOLLIN, {.fd = c}};
          ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, c, &cev);
          pending[c];
        }
        continue;
      }
      char buf[4096];
      ssize_t r = ::recv(fd, buf, sizeof buf, 0);
      bool close_it = r <= 0;
      std::string& req = pending[fd];
      if (r > 0) req.append(buf, r);
      for (size_t end; !close_it && (end = req.find("\r\n\r\n")) != std::string::npos;) {
        bool wants_close = req.substr(0, end).find("Connection: close") != std::string::npos;
        (void)!::send(fd, kReply, sizeof kReply - 1, MSG_NOSIGNAL);
        req.erase(0, end + 4);
        close_it = wants_close;
      }
      if (close_it) {
        pending.erase(fd);
        ::close(fd);
      }
    }
  }
}

std::vector<ServiceSpec> extra_services(int count) {
  std::vector<ServiceSpec> out;
  for (int i = 0; i < count; ++i) {
    ServiceSpec s;
    s.name = "bench/extra-" + std::to_string(i);
    s.ports = {{"http", Proto::tcp, 80, 0}};
    for (int e = 0; e < 3; ++e) {
      ServiceEndpoint ep;
      ep.address = Ipv4Addr{0x0ac80000u + static_cast<uint32_t>(i * 4 + e + 1)};  // 10.200.x.y: nobody
      ep.ports = {{"http", 8080}};
      s.endpoints.push_back(ep);
    }
    out.push_back(s);
  }
  return out;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

int flip(const std::string& file, const std::string& name, int runs, int extra) {
  auto specs = nlohmann::json::parse(read_file(file)).get<std::vector<ServiceSpec>>();
  auto more = extra_services(extra);
  specs.insert(specs.end(), more.begin(), more.end());
  ServiceProxy proxy;
  auto t0 = std::chrono::steady_clock::now();
  proxy.sync(specs);
  double full = ms_since(t0);
  auto it = std::find_if(specs.begin(), specs.end(), [&](const ServiceSpec& s) { return s.name == name; });
  if (it == specs.end() || it->endpoints.empty())
    throw Error("no service " + name + " with endpoints in " + file);
  std::vector<ServiceEndpoint> eps = it->endpoints;
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    eps[0].ready = !eps[0].ready;
    t0 = std::chrono::steady_clock::now();
    auto st = proxy.update_endpoints(name, eps);
    ms.push_back(ms_since(t0));
    // The change took: the first endpoint is in rotation exactly when it is ready.
    bool in = false;
    for (const auto& e : st.ports.at(0).endpoints) in = in || e.address == eps[0].address;
    if (in != eps[0].ready) throw Error("the readiness change did not take");
  }
  // Back to the file's state for whoever measures traffic next.
  proxy.update_endpoints(name, it->endpoints);
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))]; };
  std::printf("%.3f %.3f %.3f %.3f\n", pct(0.5), pct(0.99), ms.back(), full);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "serve" && argc == 3) return serve(static_cast<uint16_t>(std::stoi(argv[2])));
    if (cmd == "flip" && (argc == 5 || argc == 6))
      return flip(argv[2], argv[3], std::stoi(argv[4]), argc == 6 ? std::stoi(argv[5]) : 0);
    std::fprintf(stderr, "usage: skiff-service-bench serve PORT | flip SERVICES.json NAME RUNS [EXTRA]\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "skiff-service-bench: %s\n", e.what());
    return 1;
  }
}
