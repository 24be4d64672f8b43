// scripts/bench supervisor-api: the API's request latency on its unix socket (GET of a list of 100
// pods, p50/p99 over 2000 requests on a kept-alive connection) and the server's memory per idle
// connection and per watcher (RSS of the server process, which is forked off and measured from
// /proc/<pid>/status, before and after 1000 of each).
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

#include "api/client.hpp"
#include "api/object_routes.hpp"
#include "api/server.hpp"
#include "api/unix_socket.hpp"
#include "file_util.hpp"

namespace {

using namespace skiff;
using Clock = std::chrono::steady_clock;

long rss_kib(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

[[noreturn]] void serve(const std::string& dir, const std::string& sock, int ready) {
  EventLoop loop;
  store::Executor ex{
      [&](std::function<void()> f) { loop.post(std::move(f)); },
      [&](std::chrono::milliseconds d, std::function<void()> f) { return loop.after(d, std::move(f)); },
      [&](uint64_t id) { loop.cancel(id); }};
  store::StoreOptions so;
  so.state_dir = dir + "/state";
  so.executor = &ex;
  auto st = store::ObjectStore::open(so);
  for (int i = 0; i < 100; ++i)
    st->create(
        {{"kind", "Pod"},
         {"metadata",
          {{"name", "web-" + std::to_string(i)}, {"namespace", "default"}, {"labels", {{"app", "web"}}}}},
         {"spec",
          {{"containers",
            {{{"name", "web"}, {"image", "busybox:latest"}, {"ports", {{{"containerPort", 80}}}}}}}}}});
  api::Router router;
  api::ObjectApi oa{loop, *st, nullptr, {}};
  api::add_object_routes(router, oa);
  api::ServerOptions o;
  o.socket_path = sock;
  o.max_connections = 4096;
  o.idle_timeout = std::chrono::hours(1);
  api::Server server(loop, router, o);
  (void)!::write(ready, "r", 1);
  loop.run();
  ::_exit(0);
}

void wait_settled(pid_t pid) {
  long last = -1;
  for (int i = 0; i < 50; ++i) {  // RSS stops moving once the server has handled what was sent
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    long now = rss_kib(pid);
    if (now == last) return;
    last = now;
  }
}

}  // namespace

int main() {
  rlimit rl;
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
  std::string dir = "/tmp/skiff-api-bench-" + std::to_string(::getpid());
  remove_all(dir);
  mkdir_all(dir, 0700);
  std::string sock = dir + "/skiff.sock";
  int p[2];
  if (::pipe(p) < 0) return 1;
  pid_t server = ::fork();
  if (server == 0) serve(dir, sock, p[1]);
  char c;
  if (::read(p[0], &c, 1) != 1) return 1;

  api::Client client(sock);
  std::vector<double> ms;
  for (int i = 0; i < 2200; ++i) {
    auto t0 = Clock::now();
    auto r = client.get("/api/v1/namespaces/default/pods");
    auto t1 = Clock::now();
    if (r.status != 200) return 1;
    if (i >= 200) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  size_t body = client.get("/api/v1/namespaces/default/pods").body.size();
  std::printf("api get 100 pods (%zu KiB) p50: ours %.3f ms\n", body / 1024, ms[ms.size() / 2]);
  std::printf("api get 100 pods p99: ours %.3f ms\n", ms[ms.size() * 99 / 100]);

  auto per = [&](const char* name, const std::string& request) {
    wait_settled(server);
    long before = rss_kib(server);
    std::vector<UniqueFd> conns;
    for (int i = 0; i < 1000; ++i) {
      conns.push_back(api::connect_unix(sock));
      ::send(conns.back().get(), request.data(), request.size(), MSG_NOSIGNAL);
    }
    wait_settled(server);
    long after = rss_kib(server);
    std::printf("api memory per %s: ours %.2f KiB (server RSS %ld -> %ld KiB for 1000)\n", name,
                static_cast<double>(after - before) / 1000.0, before, after);
    conns.clear();
  };
  // An idle kept-alive connection has answered one request; a watcher waits for matching changes.
  per("idle connection", "GET /healthz HTTP/1.1\r\n\r\n");
  per("watcher", "GET /api/v1/pods?watch=1&labelSelector=app%3Dnone HTTP/1.1\r\n\r\n");
  ::kill(server, SIGKILL);
  ::waitpid(server, nullptr, 0);
  remove_all(dir);
  return 0;
}
