// The API server over a real unix socket: who may connect, what a client may cost, streams, upgrade.
#include "api/server.hpp"

#include <poll.h>
#include <pty.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "api/fd_passing.hpp"
#include "api/unix_socket.hpp"
#include "api_fixture.hpp"
#include "error.hpp"
#include "loop/process_exit.hpp"

namespace skiff::api::testing {
namespace {

using nlohmann::json;

// Sends raw bytes, then reads until the server closes (or 20 s).
std::string raw_exchange(const std::string& path, const std::string& bytes, bool wait_close = true) {
  UniqueFd fd = connect_unix(path);
  if (!bytes.empty()) ::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, 20000) <= 0) break;
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (!wait_close && out.find("\r\n\r\n") != std::string::npos) break;
  }
  return out;
}

json body_of(const std::string& raw) {
  return json::parse(raw.substr(raw.find("\r\n\r\n") + 4));
}

class ServerTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    router_.add("GET", "/hello/{who}", [](const std::shared_ptr<Exchange>& ex) {
      ex->respond_json(200, {{"hello", ex->request().params.at("who")}, {"uid", ex->request().peer.uid}});
    });
    router_.add("POST", "/echo", [](const std::shared_ptr<Exchange>& ex) {
      ex->respond(200, ex->request().body, "text/plain");
    });
  }
};

TEST_F(ServerTest, RequestsAndKubernetesStatusErrors) {
  start();
  Client c(socket_);
  auto r = c.get("/hello/world");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["hello"], "world");
  EXPECT_EQ(r.json()["uid"], ::geteuid());
  EXPECT_EQ(c.request("POST", "/echo", "abc", "text/plain").body, "abc");  // same kept-alive connection
  EXPECT_EQ(connections(), 1u);
  auto nf = c.get("/nothing/here");
  EXPECT_EQ(nf.status, 404);
  json st = nf.json();
  EXPECT_EQ(st["kind"], "Status");
  EXPECT_EQ(st["status"], "Failure");
  EXPECT_EQ(st["reason"], "NotFound");
  EXPECT_EQ(st["code"], 404);
  auto bad = c.request("DELETE", "/echo");
  EXPECT_EQ(bad.status, 405);
  EXPECT_EQ(*bad.header("allow"), "POST");
}

TEST_F(ServerTest, TheSocketIsOwnerOnlyAndAStaleOneIsReplaced) {
  // A socket file left by a supervisor that died: nobody listens on it.
  { UniqueFd stale = listen_unix(socket_); }
  ASSERT_EQ(::access(socket_.c_str(), F_OK), 0);
  start();
  struct stat st;
  ASSERT_EQ(::stat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_uid, ::geteuid());
  EXPECT_EQ(Client(socket_).get("/hello/x").status, 200);
  try {
    EventLoop other;
    ServerOptions o;
    o.socket_path = socket_;
    Server second(other, router_, o);
    FAIL() << "two servers on one socket";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another skiff supervise is serving " + socket_), std::string::npos);
  }
}

TEST_F(ServerTest, AnotherUidIsRefusedWith403AndALogLine) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to connect as another uid";
  start();
  ::chmod(socket_.c_str(), 0666);  // as if the mode were wrong: the peer check still holds
  ::chmod(dir_.c_str(), 0711);
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(p[0]);
    if (::setgid(65534) < 0 || ::setuid(65534) < 0) ::_exit(2);
    try {
      std::string got = raw_exchange(socket_, "GET /hello/x HTTP/1.1\r\n\r\n");
      (void)!::write(p[1], got.data(), got.size());
    } catch (const std::exception& e) {
      std::string m = std::string("child: ") + e.what();
      (void)!::write(p[1], m.data(), m.size());
    }
    ::_exit(0);  // never back into the test runner
  }
  ::close(p[1]);
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(p[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  ::close(p[0]);
  ::waitpid(pid, nullptr, 0);
  ASSERT_EQ(got.substr(0, 12), "HTTP/1.1 403") << got;
  EXPECT_EQ(body_of(got)["reason"], "Forbidden");
  EXPECT_NE(body_of(got)["message"].get<std::string>().find("uid 65534"), std::string::npos);
  auto lines = log_lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.back().find("refused a connection from uid 65534"), std::string::npos) << lines.back();
}

TEST_F(ServerTest, ASlowClientIsCutOffAndAnIdleOneLetGo) {
  ServerOptions o;
  o.request_timeout = std::chrono::milliseconds(300);
  o.idle_timeout = std::chrono::milliseconds(300);
  start(o);
  // slowloris: half a request, then nothing.
  std::string got = raw_exchange(socket_, "GET /hello/x HTTP/1.1\r\nX-Slow: ");
  EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 408") << got;
  EXPECT_EQ(body_of(got)["code"], 408);
  // An idle kept-alive connection: closed without a word.
  EXPECT_EQ(raw_exchange(socket_, ""), "");
  EXPECT_TRUE(eventually([&] { return connections() == 0; }));
}

TEST_F(ServerTest, LimitsAreAnsweredWithTheirStatus) {
  ServerOptions o;
  o.limits.max_body = 1024;
  o.max_connections = 3;
  start(o);
  std::string big = "POST /echo HTTP/1.1\r\nContent-Length: 5000\r\n\r\n";
  EXPECT_EQ(raw_exchange(socket_, big).substr(0, 12), "HTTP/1.1 413");
  std::string many = "GET /hello/x HTTP/1.1\r\n";
  for (int i = 0; i < 100; ++i) many += "X-H" + std::to_string(i) + ": 1\r\n";
  EXPECT_EQ(raw_exchange(socket_, many + "\r\n").substr(0, 12), "HTTP/1.1 431");
  // Connections beyond the bound get 503 at once.
  std::vector<UniqueFd> held;
  for (int i = 0; i < 3; ++i) held.push_back(connect_unix(socket_));
  ASSERT_TRUE(eventually([&] { return connections() == 3; }));
  std::string refused = raw_exchange(socket_, "");
  EXPECT_EQ(refused.substr(0, 12), "HTTP/1.1 503") << refused;
  held.clear();
  ASSERT_TRUE(eventually([&] { return connections() == 0; }));
  EXPECT_EQ(Client(socket_).get("/hello/x").status, 200);
}

TEST_F(ServerTest, StreamsArriveAsTheyAreWrittenAndASlowReaderIsDropped) {
  router_.add("GET", "/count", [this](const std::shared_ptr<Exchange>& ex) {
    ex->start_stream(200, "application/json", "{\"type\":\"ERROR\"}\n");
    for (int i = 0; i < 3; ++i)
      loop_.after(std::chrono::milliseconds(10 * (i + 1)), [ex, i] {
        ex->write("{\"n\":" + std::to_string(i) + "}\n");
        if (i == 2) ex->end_stream();
      });
  });
  bool closed = false;
  router_.add("GET", "/flood", [&closed](const std::shared_ptr<Exchange>& ex) {
    ex->start_stream(200, "application/json", "{\"type\":\"ERROR\",\"reason\":\"too slow\"}\n");
    ex->on_close([&closed] { closed = true; });
    std::string piece(4096, 'x');
    piece += "\n";
    for (int i = 0; i < 10000 && ex->write(piece); ++i) {
    }
  });
  ServerOptions o;
  o.stream_buffer_limit = 64 * 1024;
  start(o);
  std::vector<std::string> lines;
  Client c(socket_);
  EXPECT_EQ(c.stream_lines("/count",
                           [&](const std::string& l) {
                             lines.push_back(l);
                             return true;
                           }),
            200);
  EXPECT_EQ(lines, (std::vector<std::string>{"{\"n\":0}", "{\"n\":1}", "{\"n\":2}"}));

  // A reader that reads nothing until the server gave up: it finds the reason at the end.
  UniqueFd fd = connect_unix(socket_);
  std::string req = "GET /flood HTTP/1.1\r\n\r\n";
  ::send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL);
  ASSERT_TRUE(eventually([&] { return on_loop([&] { return closed; }); }));
  std::string all;
  char buf[65536];
  ssize_t n;
  while ((n = ::recv(fd.get(), buf, sizeof buf, 0)) > 0) all.append(buf, static_cast<size_t>(n));
  EXPECT_NE(all.find("too slow"), std::string::npos);
  EXPECT_LT(all.size(), 2u * 1024 * 1024);  // bounded: nowhere near the 40 MB the handler tried
  EXPECT_TRUE(eventually([&] { return connections() == 0; }));
}

// exec -it's shape: the server starts a shell on a pty and passes the pty master to the client.
TEST_F(ServerTest, UpgradePassesAPtyToTheClient) {
  std::vector<loop::ExitWatch> watches;
  router_.add("POST", "/exec", [&](const std::shared_ptr<Exchange>& ex) {
    ex->upgrade(kFdProtocol, [&](UniqueFd conn, std::string) {
      int master = -1;
      pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
      if (pid == 0) {
        ::execl("/bin/sh", "sh", nullptr);
        ::_exit(127);
      }
      send_fds(conn.get(), R"({"tty":true,"fds":["pty"]})", {master});
      ::close(master);  // the client holds it now
      auto shared = std::make_shared<UniqueFd>(std::move(conn));
      watches.push_back(
          loop::watch_exit(loop_, loop::open_pidfd(pid), pid, [shared](const loop::ExitStatus& s) {
            std::string line = json({{"exitCode", s.exit_code}}).dump() + "\n";
            (void)!::write(shared->get(), line.data(), line.size());
            shared->reset();
          }));
    });
  });
  start();
  Client c(socket_);
  UniqueFd conn = c.upgrade("POST", "/exec", kFdProtocol);
  std::vector<UniqueFd> fds;
  json hdr = json::parse(recv_fds(conn.get(), fds));
  EXPECT_EQ(hdr["tty"], true);
  ASSERT_EQ(fds.size(), 1u);
  std::string cmd = "echo hello-$((6*7)); exit 5\n";
  ASSERT_EQ(::write(fds[0].get(), cmd.data(), cmd.size()), static_cast<ssize_t>(cmd.size()));
  std::string out;
  char buf[1024];
  while (out.find("hello-42") == std::string::npos) {
    pollfd p{fds[0].get(), POLLIN, 0};
    if (::poll(&p, 1, 20000) <= 0) break;
    ssize_t n = ::read(fds[0].get(), buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(out.find("hello-42"), std::string::npos) << out;
  std::string status;
  while ((::read(conn.get(), buf, 1) == 1) && buf[0] != '\n') status += buf[0];
  EXPECT_EQ(json::parse(status)["exitCode"], 5);
}

TEST(ApiClient, ErrorsSayWhatToDo) {
  std::string path = test_dir() + "-none.sock";
  try {
    Client(path).get("/healthz");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot reach the supervisor at " + path + ": no such file (is `skiff supervise` running?)");
  }
  { UniqueFd stale = listen_unix(path); }
  try {
    Client(path).get("/healthz");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("connection refused (is `skiff supervise` running?)"),
              std::string::npos);
  }
  ::unlink(path.c_str());
}

TEST(ApiClient, SocketPathResolution) {
  ::setenv("SKIFF_SOCKET", "/tmp/env.sock", 1);
  EXPECT_EQ(resolve_socket_path("/tmp/flag.sock"), "/tmp/flag.sock");
  EXPECT_EQ(resolve_socket_path(""), "/tmp/env.sock");
  ::unsetenv("SKIFF_SOCKET");
  if (::geteuid() == 0) {
    EXPECT_EQ(resolve_socket_path(""), "/run/skiff/skiff.sock");
  }
}

}  // namespace
}  // namespace skiff::api::testing
