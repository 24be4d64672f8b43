// Rootless networking through pasta: an unprivileged user's container (`unshare -Urn`) gets outbound
// traffic (its gateway address maps to the host's loopback) and a published port, through
// `skiff-network network attach` run as that user. All inside the fixture's "host" namespace (with an
// uplink giving it the default route pasta copies): no traffic reaches the real host's network.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "error.hpp"
#include "harness.hpp"
#include "netns_fixture.hpp"
#include "rootless_pasta.hpp"

extern char** environ;

namespace skiff::net::test {
namespace {

using skiff::test::TestUser;

bool pasta_installed() {
  return ::access("/usr/bin/pasta", X_OK) == 0;
}

bool alive(pid_t pid) {
  return ::access(("/proc/" + std::to_string(pid)).c_str(), F_OK) == 0;
}

// A round trip through a published port where the client speaks first: Debian 12's pasta opens the
// container side of a forwarded connection only when the first data arrives (the fixture's
// tcp_roundtrip waits for the accept before sending). "" or what failed.
std::string client_first_roundtrip(int client_netns, Ipv4Addr addr, uint16_t port, int listener) {
  UniqueFd c = socket_in(client_netns, SOCK_STREAM);
  timeval tv{5, 0};
  ::setsockopt(c.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ::setsockopt(c.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(addr.value);
  if (::connect(c.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
    return std::string("connect: ") + std::strerror(errno);
  char b = 'x';
  if (::send(c.get(), &b, 1, MSG_NOSIGNAL) != 1) return std::string("send: ") + std::strerror(errno);
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, 5000) != 1) return "connected, but the listener saw no connection";
  UniqueFd s(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (!s) return std::string("accept: ") + std::strerror(errno);
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::recv(s.get(), &b, 1, 0) != 1 || ::send(s.get(), &b, 1, MSG_NOSIGNAL) != 1 ||
      ::recv(c.get(), &b, 1, 0) != 1)
    return std::string("exchange: ") + std::strerror(errno);
  return "";
}

// /dev/net/tun opened to everyone for the test (rootless pasta opens it inside the user's
// namespace), its mode restored afterwards.
class TunModeForTest {
 public:
  TunModeForTest() {
    struct stat st;
    if (::stat("/dev/net/tun", &st) == 0 && ::chmod("/dev/net/tun", 0666) == 0) mode_ = st.st_mode & 07777;
  }
  ~TunModeForTest() {
    if (mode_ >= 0) ::chmod("/dev/net/tun", static_cast<mode_t>(mode_));
  }
  bool ok() const { return mode_ >= 0; }

 private:
  int mode_ = -1;
};

// The user's "container": `unshare -Urn sleep 60`, started in the calling thread's namespace
// (posix_spawn's child inherits the thread's network namespace). Killed by its pid.
class UserContainer {
 public:
  explicit UserContainer(const TestUser& u, bool own_namespaces = true) {
    std::vector<std::string> a = {"/usr/bin/setpriv",
                                  "--reuid",
                                  std::to_string(u.uid()),
                                  "--regid",
                                  std::to_string(u.gid()),
                                  "--clear-groups",
                                  "--",
                                  "/usr/bin/unshare",
                                  "-Urn",
                                  "/bin/sleep",
                                  "60"};
    if (!own_namespaces) a.erase(a.begin() + 7, a.begin() + 9);  // plain `sleep 60`
    std::vector<char*> argv;
    for (auto& s : a) argv.push_back(s.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) pid_ = 0;
  }
  ~UserContainer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // Waits until the process runs `sleep` (its namespaces are made then).
  bool ready() const {
    for (int i = 0; i < 500 && pid_ > 0; ++i) {
      std::ifstream comm("/proc/" + std::to_string(pid_) + "/comm");
      std::string name;
      std::getline(comm, name);
      if (name == "sleep") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 private:
  pid_t pid_ = 0;
};

TEST(RootlessPastaArgs, PortsBecomeTcpAndUdpSpecs) {
  PastaRequest r;
  r.pid = 42;
  r.ports = {parse_port_mapping("8080:80"), parse_port_mapping("192.0.2.1:5353:53/udp")};
  auto a = pasta_args(r, "/s/pasta/c.pid");
  std::vector<std::string> want = {"--config-net",
                                   "-4",
                                   "-q",
                                   "--pid",
                                   "/s/pasta/c.pid",
                                   "--netns",
                                   "/proc/42/ns/net",
                                   "--userns",
                                   "/proc/42/ns/user",
                                   "-t",
                                   "8080:80",
                                   "-u",
                                   "192.0.2.1/5353:53",
                                   "-T",
                                   "none",
                                   "-U",
                                   "none"};
  EXPECT_EQ(a, want);
}

TEST(RootlessPastaArgs, MissingPastaIsOneClearErrorLeavingNothing) {
  char tmpl[] = "/tmp/skiff-pasta-test.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  PastaRequest r;
  r.state_dir = tmpl;
  r.container_id = "c1";
  r.pid = ::getpid();
  r.pasta = "/nonexistent/pasta";
  try {
    pasta_attach(r);
    ADD_FAILURE() << "attach without pasta succeeded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pasta not found"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(pasta_pid_file(tmpl, "c1")));
  EXPECT_THROW(pasta_pid_file(tmpl, "../x"), Error);
  std::filesystem::remove_all(tmpl);
}

class RootlessPastaTest : public HostNetnsTest {};

TEST_F(RootlessPastaTest, OutboundAndPublishedPortThroughPasta) {
  if (!pasta_installed()) GTEST_SKIP() << "pasta (Debian passt) is not installed";
  TestUser user("skpa");
  if (!user.error().empty()) GTEST_SKIP() << "no test user: " << user.error();
  UniqueFd outside = make_uplink();  // the host: 192.0.2.1/24 on up0, default route via 192.0.2.2
  TunModeForTest tun;
  ASSERT_TRUE(tun.ok()) << "cannot chmod /dev/net/tun";

  char tmpl[] = "/tmp/skiff-pasta-state.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string sd = tmpl;
  ASSERT_EQ(::chown(tmpl, user.uid(), user.gid()), 0);

  UserContainer ctr(user);
  ASSERT_TRUE(ctr.ready()) << "unshare -Urn did not start";
  UniqueFd ctr_ns(::open(("/proc/" + std::to_string(ctr.pid()) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(ctr_ns);

  auto r = user.run({SKIFF_NETWORK_BINARY, "network", "--state-dir", sd, "attach", "c1", "--pid",
                     std::to_string(ctr.pid()), "-p", "192.0.2.1:18080:8080"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("mode"), "pasta");
  pid_t pasta = j.at("pasta_pid").get<pid_t>();
  std::string pid_file = j.at("pid_file");
  EXPECT_EQ(pid_file, pasta_pid_file(sd, "c1"));
  EXPECT_TRUE(alive(pasta));
  EXPECT_TRUE(std::filesystem::exists(pid_file));

  // Outbound: the container's gateway (the host's, 192.0.2.2) is the host's loopback through pasta.
  uint16_t port = 0;
  UniqueFd host_listener = tcp_listener(host_netns(), port, *parse_ipv4("127.0.0.1"));
  auto c = tcp_roundtrip(ctr_ns.get(), *parse_ipv4("192.0.2.2"), port, host_listener.get());
  EXPECT_TRUE(c.ok) << "container -> host loopback via pasta: " << c.error;

  // Published: 192.0.2.1:18080 on the host reaches the container's 8080, from an outside client.
  uint16_t ctr_port = 8080;
  UniqueFd ctr_listener = tcp_listener(ctr_ns.get(), ctr_port);
  EXPECT_EQ(client_first_roundtrip(outside.get(), *parse_ipv4("192.0.2.1"), 18080, ctr_listener.get()), "")
      << "outside -> published port -> container";
  EXPECT_EQ(client_first_roundtrip(host_netns(), *parse_ipv4("192.0.2.1"), 18080, ctr_listener.get()), "")
      << "host -> published port -> container";

  // pasta failing (it cannot join namespaces that are not the user's): its one line, nothing left.
  r = user.run({SKIFF_NETWORK_BINARY, "network", "--state-dir", sd, "attach", "c2", "--pid", "1"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("skiff network attach c2: ", 0), 0u) << r.err;
  EXPECT_FALSE(std::filesystem::exists(pasta_pid_file(sd, "c2")));
  UserContainer plain(user, false);  // in the user's own namespaces: pasta refuses to join them
  ASSERT_TRUE(plain.ready());
  r = user.run({SKIFF_NETWORK_BINARY, "network", "--state-dir", sd, "attach", "c3", "--pid",
                std::to_string(plain.pid())});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("skiff network attach c3: pasta failed: ", 0), 0u) << r.err;
  EXPECT_FALSE(std::filesystem::exists(pasta_pid_file(sd, "c3")));

  // A second attach of the same id is refused and leaves the first alone.
  r = user.run({SKIFF_NETWORK_BINARY, "network", "--state-dir", sd, "attach", "c1", "--pid",
                std::to_string(ctr.pid())});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("attached already"), std::string::npos) << r.err;
  EXPECT_TRUE(alive(pasta));

  r = user.run({SKIFF_NETWORK_BINARY, "network", "--state-dir", sd, "detach", "c1"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(pid_file));
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    std::ifstream comm("/proc/" + std::to_string(pasta) + "/comm");
    std::string name;
    gone = !std::getline(comm, name) || name != "pasta";
    if (!gone) {
      std::ifstream st("/proc/" + std::to_string(pasta) + "/stat");
      std::string s((std::istreambuf_iterator<char>(st)), std::istreambuf_iterator<char>());
      auto rp = s.rfind(')');
      gone = rp != std::string::npos && rp + 2 < s.size() && s[rp + 2] == 'Z';
    }
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone) << "pasta " << pasta << " still runs after detach";
  r = user.run({SKIFF_NETWORK_BINARY, "network", "--state-dir", sd, "detach", "c1"});
  EXPECT_EQ(r.status, 1);
  std::filesystem::remove_all(sd);
}

}  // namespace
}  // namespace skiff::net::test
