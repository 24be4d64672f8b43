// skiff-probe-bench: the prober's side of scripts/bench probes.
//   once http HOST PORT PATH N | once tcp HOST PORT N | once grpc HOST PORT N | once exec ROOT ID N CMD...
//       N probes one after another on one event loop; prints "wall_us=X cpu_us=Y maxrss_kb=Z" per probe.
//   fleet CONTAINERS SECONDS HOST PORT
//       a ProbeManager with CONTAINERS containers, each with an httpGet readiness and liveness probe every
//       second, for SECONDS; prints the prober's CPU (% of one core) and its own memory (RSS and heap
//       growth from before the containers were added).
//   serve PORT
//       an HTTP server (epoll, one thread) answering 200 "ok" on 127.0.0.1:PORT, for the peers and us.
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "loop_scheduler.hpp"
#include "mechanisms.hpp"
#include "probe_manager.hpp"
#include "runtime_exec_runner.hpp"

using namespace skiff;
using namespace skiff::probes;

namespace {

double cpu_of(int who) {
  rusage u{};
  ::getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}
// Ours and our reaped children's (the exec'd processes): what the peers' figures count too.
double cpu_seconds() {
  return cpu_of(RUSAGE_SELF) + cpu_of(RUSAGE_CHILDREN);
}

long maxrss_kb() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

long rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

int once(int argc, char** argv) {
  std::string kind = argv[2];
  ProbeHandler handler;
  ProbeTarget target;
  long n = 0;
  if (kind == "http" && argc >= 7) {
    handler = HttpGetAction{argv[5], PortRef::of(std::stoi(argv[4])), "", Scheme::http, {}};
    target.pod_ip = argv[3];
    n = std::stol(argv[6]);
  } else if ((kind == "tcp" || kind == "grpc") && argc >= 6) {
    target.pod_ip = argv[3];
    if (kind == "tcp") {
      handler = TcpSocketAction{PortRef::of(std::stoi(argv[4])), ""};
    } else {
      handler = GrpcAction{std::stoi(argv[4]), ""};
    }
    n = std::stol(argv[5]);
  } else if (kind == "exec" && argc >= 7) {
    target.exec = std::make_shared<RuntimeExecRunner>(argv[3], argv[4]);
    n = std::stol(argv[5]);
    handler = ExecAction{std::vector<std::string>(argv + 6, argv + argc)};
  } else {
    std::cerr << "usage: skiff-probe-bench once http|tcp|grpc|exec ...\n";
    return 2;
  }
  EventLoop loop;
  Mechanisms mech(loop);
  long failures = 0;
  auto t0 = std::chrono::steady_clock::now();
  double c0 = cpu_seconds();
  for (long i = 0; i < n; ++i) {
    std::optional<ProbeOutcome> out;
    auto op =
        mech.start(handler, target, std::chrono::seconds(2), [&](ProbeOutcome o) { out = std::move(o); });
    while (!out) loop.run_once(-1);
    if (out->result != Result::success) {
      if (++failures == 1) std::cerr << "probe failed: " << out->message << "\n";
    }
  }
  // Killed exec processes still being reaped count too.
  while (mech.exec_processes_being_reaped()) loop.run_once(100);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = cpu_seconds() - c0;
  std::printf("wall_us=%.1f cpu_us=%.1f maxrss_kb=%ld failures=%ld\n", wall / n * 1e6, cpu / n * 1e6,
              maxrss_kb(), failures);
  return failures ? 1 : 0;
}

int fleet(int argc, char** argv) {
  if (argc < 6) return 2;
  int containers = std::stoi(argv[2]);
  int seconds = std::stoi(argv[3]);
  std::string host = argv[4];
  int port = std::stoi(argv[5]);
  EventLoop loop;
  LoopScheduler sched(loop);
  Mechanisms mech(loop);
  long events = 0;
  ProbeManager mgr(sched, mech,
                   {[&](const ContainerRef&, ProbeKind, const ProbeEvent&) { ++events; }, {}, {}});
  // Warm-up: TLS-free, but the allocator and the loop's structures settle with a few probes first.
  long rss0 = rss_kb();
  size_t heap0 = mallinfo2().uordblks;
  double c0 = cpu_seconds();
  auto http = [&] {
    ProbeSpec s;
    s.handler = HttpGetAction{"/healthz", PortRef::of(port), "", Scheme::http, {}};
    s.period_seconds = 1;
    return s;
  };
  std::vector<ProbeManager::Handle> handles;
  for (int i = 0; i < containers; ++i) {
    std::string name = "c" + std::to_string(i);
    auto h = mgr.add({"default", "pod-" + name, "uid-" + name, "web"}, {host, {}, {}, nullptr},
                     {http(), http(), std::nullopt});
    mgr.set_container(h, {"id-" + name, ContainerState::Phase::running, loop.now()});
    handles.push_back(h);
  }
  auto end = loop.now() + std::chrono::seconds(seconds);
  loop.at(end, [&] { loop.stop(); });
  loop.run();
  double cpu = cpu_seconds() - c0;
  long rss1 = rss_kb();
  size_t heap1 = mallinfo2().uordblks;
  size_t ready = 0;
  for (auto h : handles) ready += mgr.ready(h);
  std::string metrics = mgr.metrics_text();
  long probes = 0;
  for (size_t p = metrics.find("prober_probe_total{"); p != std::string::npos;
       p = metrics.find("prober_probe_total{", p + 1))
    probes += std::stol(metrics.substr(metrics.find("} ", p) + 2));
  std::printf(
      "cpu_pct=%.2f rss_growth_kb=%ld heap_growth_kb=%zu probes=%ld unhealthy_events=%ld ready=%zu/%d\n",
      cpu / seconds * 100, rss1 - rss0, (heap1 - heap0) / 1024, probes, events, ready, containers);
  return 0;
}

int serve(int argc, char** argv) {
  if (argc < 3) return 2;
  int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  ::setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::stoi(argv[2])));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || ::listen(l, 1024) < 0) {
    std::perror("bind/listen");
    return 1;
  }
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{EPOLLIN, {.fd = l}};
  ::epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
  static const char kReply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) {
    epoll_event evs[64];
    int n = ::epoll_wait(ep, evs, 64, -1);
    for (int i = 0; i < n; ++i) {
      int fd = evs[i].data.fd;
      if (fd == l) {
        for (int c; (c = ::accept4(l, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
          epoll_event e{EPOLLIN | EPOLLRDHUP, {.fd = c}};
          ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
        }
        continue;
      }
      char buf[4096];
      ssize_t r = ::read(fd, buf, sizeof buf);
      if (r > 0 && std::string_view(buf, static_cast<size_t>(r)).find("\r\n\r\n") != std::string_view::npos) {
        (void)!::send(fd, kReply, sizeof kReply - 1, MSG_NOSIGNAL);
        ::close(fd);
      } else if (r <= 0) {
        ::close(fd);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "once" && argc > 2) return once(argc, argv);
    if (mode == "fleet") return fleet(argc, argv);
    if (mode == "serve") return serve(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "skiff-probe-bench: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: skiff-probe-bench once|fleet|serve ...\n";
  return 2;
}
