#include "pod_net.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.hpp"
#include "ipv4.hpp"
#include "netlink.hpp"
#include "netns_ref.hpp"

namespace skiff::probes::test {

void PodNetTest::SetUp() {
  HostNetnsTest::SetUp();
  if (IsSkipped() || HasFatalFailure()) return;
  pod_ = new_netns();
  net::NlSocket node;
  node.add_veth({.host_name = "pv0",
                 .master = 0,
                 .mtu = 1500,
                 .peer_name = "eth0",
                 .peer_netns_fd = pod_.get(),
                 .peer_mac = {0x02, 0, 0, 0, 0x77, 2}});
  int pv0 = node.link("pv0")->index;
  node.add_address(pv0, net::parse_cidr("10.77.0.1/24"));
  node.set_up(pv0);
  net::NlSocket pod = net::NlSocket::in_netns(pod_.get());
  int eth0 = pod.link("eth0")->index;
  pod.add_address(eth0, net::parse_cidr("10.77.0.2/24"));
  pod.set_up(eth0);
  pod.set_up(pod.link("lo")->index);
  // A new veth may drop the very first packets (a SYN then waits a second for its retransmission):
  // wait (bounded) until a connection goes through, on a fresh listener each try so that an attempt
  // never accepts the previous attempt's connection.
  bool up = false;
  std::string why;
  for (int i = 0; i < 50 && !up; ++i) {
    uint16_t port = 0;
    UniqueFd l = pod_listener(port);
    auto r = net::test::tcp_roundtrip(host_netns(), *net::parse_ipv4(kPodIp), port, l.get(), 1);
    up = r.ok;
    why = r.error;
  }
  ASSERT_TRUE(up) << "the pod's veth never carried a connection: " << why;
}

UniqueFd PodNetTest::pod_listener(uint16_t& port) {
  return net::test::tcp_listener(pod_.get(), port, *net::parse_ipv4(kPodIp));
}

UniqueFd PodNetTest::node_listener(uint16_t& port) {
  return net::test::tcp_listener(host_netns(), port, *net::parse_ipv4("127.0.0.1"));
}

bool PodNetTest::run_until(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    loop_.run_once(50);
  }
  return true;
}

ProbeOutcome PodNetTest::wait_outcome(std::optional<ProbeOutcome>& out, std::chrono::milliseconds limit) {
  if (!run_until([&] { return out.has_value(); }, limit))
    return ProbeOutcome{Result::unknown, "(no outcome within the test's guard)", true, {}};
  return *out;
}

ChildProcess::ChildProcess(int netns_fd, const std::vector<std::string>& argv) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) < 0 || ::pipe2(out, O_CLOEXEC) < 0) throw_errno("pipe");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  net::NetnsEnter enter(netns_fd);  // the child is born in the thread's namespace
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::execv(args[0], args.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  in_.reset(in[1]);
  out_.reset(out[0]);
  if (pid_ < 0) throw_errno("fork");
}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

std::string ChildProcess::read_line() {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (buffered_.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    pollfd p{out_.get(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
    char buf[256];
    ssize_t n = ::read(out_.get(), buf, sizeof buf);
    if (n <= 0) return "";
    buffered_.append(buf, static_cast<size_t>(n));
  }
  size_t nl = buffered_.find('\n');
  std::string line = buffered_.substr(0, nl);
  buffered_.erase(0, nl + 1);
  return line;
}

void ChildProcess::write_line(const std::string& line) {
  std::string l = line + "\n";
  (void)!::write(in_.get(), l.data(), l.size());
}

size_t open_fds() {
  size_t n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
  ::closedir(d);
  return n - 1;  // the directory's own fd
}

}  // namespace skiff::probes::test
