// Every bad input of the issue: a clear one-line error, and nothing half-made (no veth, rule, bridge
// or allocation left). Through the library, and through the `skiff network` binary.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "file_util.hpp"
#include "netlink.hpp"
#include "netns_fixture.hpp"
#include "netns_ref.hpp"
#include "network_store.hpp"

namespace skiff::net::test {
namespace {

class BadInputTest : public HostNetnsTest {
 protected:
  std::string error_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const std::exception& e) {
      return e.what();
    }
    return "(no error)";
  }
  size_t veth_count() {
    size_t n = 0;
    for (const auto& l : NlSocket().links()) n += l.type == "veth";
    return n;
  }
  AttachRequest req(const std::string& id, std::vector<std::string> ports = {}) {
    AttachRequest r;
    r.network = "badnet";
    r.container_id = id;
    for (const auto& p : ports) r.ports.push_back(parse_port_mapping(p));
    return r;
  }
  static NetnsRef ref(const UniqueFd& fd) { return NetnsRef::from_fd(UniqueFd(::dup(fd.get()))); }
};

TEST_F(BadInputTest, InvalidCidrsAndNames) {
  EXPECT_EQ(error_of([] { make_network_config("n", "10.0.0.0"); }),
            "invalid CIDR \"10.0.0.0\": expected ADDRESS/PREFIX, e.g. 10.88.0.0/16");
  EXPECT_EQ(error_of([] { make_network_config("n", "10.0.0.256/24"); }),
            "invalid CIDR \"10.0.0.256/24\": \"10.0.0.256\" is not an IPv4 address");
  EXPECT_EQ(error_of([] { make_network_config("n", "10.0.0.0/33"); }),
            "invalid CIDR \"10.0.0.0/33\": prefix length must be 0..32");
  EXPECT_EQ(error_of([] { make_network_config("n", "10.0.0.1/24"); }),
            "invalid subnet \"10.0.0.1/24\": host bits set (did you mean 10.0.0.0/24?)");
  EXPECT_EQ(
      error_of([] { make_network_config("n", "10.0.0.0/31"); }),
      "invalid subnet \"10.0.0.0/31\": prefix must be /8 to /30 (a gateway and at least one container)");
  EXPECT_NE(error_of([] { make_network_config("../x", "10.0.0.0/24"); }).find("invalid network name"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_port_mapping("80"); }).find("invalid port mapping"), std::string::npos);
  EXPECT_NE(error_of([] { parse_port_mapping("8080:80/sctp"); }).find("protocol must be tcp or udp"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_port_mapping("0:80"); }).find("is not a port"), std::string::npos);
}

TEST_F(BadInputTest, OverlapsAndForeignBridgeLeaveNothing) {
  NetworkStore store(state_dir());
  store.create(make_network_config("badnet", "10.33.0.0/16"));
  EXPECT_EQ(error_of([&] { store.create(make_network_config("other", "10.33.5.0/24")); }),
            "subnet 10.33.5.0/24 overlaps 10.33.0.0/16 of network badnet");
  EXPECT_EQ(error_of([&] { store.create(make_network_config("badnet", "10.34.0.0/16")); }),
            "network badnet already exists");
  // A link of the bridge's name that is not ours.
  NlSocket h;
  h.add_veth({.host_name = "foreign0",
              .master = 0,
              .mtu = 1500,
              .peer_name = "foreign1",
              .peer_netns_fd = -1,
              .peer_mac = {2, 0, 0, 0, 0, 9}});
  EXPECT_EQ(error_of([&] { store.create(make_network_config("foreign0", "10.35.0.0/16")); }),
            "interface foreign0 exists and is not skiff's bridge for network foreign0 (type veth)");
  // A subnet already routed on the host (the address of an interface).
  h.add_address(h.link("foreign0")->index, parse_cidr("10.36.1.1/24"));
  EXPECT_EQ(error_of([&] { store.create(make_network_config("routed", "10.36.0.0/16")); }),
            "subnet 10.36.0.0/16 overlaps address 10.36.1.1/24 of interface foreign0");
  ASSERT_EQ(store.list().size(), 1u);
  EXPECT_TRUE(h.link("foreign0"));  // untouched
  EXPECT_FALSE(h.link("routed"));
  EXPECT_NE(::access((state_dir() + "/other").c_str(), F_OK), 0);
  EXPECT_NE(::access((state_dir() + "/routed").c_str(), F_OK), 0);
}

TEST_F(BadInputTest, PortConflictsLeaveNoVethNoAllocation) {
  NetworkStore store(state_dir());
  store.create(make_network_config("badnet", "10.33.0.0/24"));
  UniqueFd a = new_netns(), b = new_netns(), c = new_netns();
  store.attach(req("a", {"8080:80"}), ref(a));
  EXPECT_EQ(error_of([&] { store.attach(req("b", {"127.0.0.1:8080:81"}), ref(b)); }),
            "port 127.0.0.1:8080:81/tcp is already published by container a (0.0.0.0:8080:80/tcp) on network "
            "badnet");
  EXPECT_EQ(error_of([&] {
              store.attach(req("b", {"9090:80", "9090:81"}), ref(b));
            }),
            "port 0.0.0.0:9090:80/tcp is given twice (0.0.0.0:9090:81/tcp)");
  // A host socket listening on the port.
  uint16_t port = 7070;
  UniqueFd listener = tcp_listener(host_netns(), port);
  EXPECT_EQ(error_of([&] { store.attach(req("b", {"7070:80"}), ref(b)); }),
            "host port 0.0.0.0:7070:80/tcp is in use by a socket on the host");
  EXPECT_EQ(error_of([&] { store.attach(req("b", {"192.0.2.99:7071:80"}), ref(b)); }),
            "cannot publish 192.0.2.99:7071:80/tcp: 192.0.2.99 is not an address of this host");
  EXPECT_EQ(error_of([&] { store.attach(req("a"), ref(c)); }),
            "container a is already attached to network badnet");
  EXPECT_EQ(error_of([&] { store.attach(req("bad/id"), ref(b)); }).substr(0, 20), "invalid container id");
  EXPECT_EQ(error_of([&] {
              AttachRequest r = req("b");
              r.network = "nosuch";
              store.attach(r, ref(b));
            }),
            "network nosuch does not exist");
  EXPECT_EQ(error_of([&] { store.attach(req("b"), NetnsRef::current()); }),
            "the namespace given for container b is the host's own network namespace");
  EXPECT_EQ(veth_count(), 1u);
  EXPECT_FALSE(NlSocket::in_netns(b.get()).link("eth0"));
  EXPECT_EQ(store.inspect("badnet").attachments.size(), 1u);
  EXPECT_EQ(error_of([&] { store.remove("badnet"); }),
            "network badnet has 1 container(s) attached (detach them, or remove with --force)");
  store.remove("badnet", true);
  EXPECT_EQ(veth_count(), 0u);
  EXPECT_FALSE(skiff_table_exists());
  EXPECT_TRUE(store.list().empty());
}

// Entries in the store that no network made (lost+found, leftovers, a name no network can have) are
// skipped with a warning naming them; the networks beside them still list, attach and detach.
TEST_F(BadInputTest, StrayEntriesInTheStoreAreSkippedWithAWarning) {
  NetworkStore store(state_dir());
  store.create(make_network_config("badnet", "10.37.0.0/24"));
  mkdir_all(state_dir() + "/lost+found");
  mkdir_all(state_dir() + "/.editor-backup");
  mkdir_all(state_dir() + "/half-made");  // a valid name without network.json: an interrupted create
  write_file_atomic(state_dir() + "/junk file", "x");
  ::testing::internal::CaptureStderr();
  auto nets = store.list();
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(nets.size(), 1u);
  EXPECT_EQ(nets[0].name, "badnet");
  EXPECT_NE(err.find("ignoring " + state_dir() + "/lost+found in the network store: invalid network name"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find(state_dir() + "/.editor-backup"), std::string::npos) << err;
  EXPECT_EQ(err.find("half-made"), std::string::npos) << err;
  EXPECT_EQ(err.find("junk"), std::string::npos) << err;

  UniqueFd a = new_netns();
  ::testing::internal::CaptureStderr();
  Attachment at = store.attach(req("a"), ref(a));
  EXPECT_TRUE(store.detach("badnet", "a"));
  ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(parse_subnet("10.37.0.0/24").contains(at.address.addr));
  EXPECT_EQ(veth_count(), 0u);
  // The stray entries are not skiff's to remove.
  EXPECT_EQ(::access((state_dir() + "/lost+found").c_str(), F_OK), 0);
}

// The binary: one line on stderr, exit status 1, nothing created.
struct CliRun {
  int status;
  std::string out, err;
};
CliRun run_binary(const std::string& binary, const std::vector<std::string>& args) {
  std::string cmd = binary;
  for (const auto& a : args) cmd += " '" + a + "'";
  char errf[] = "/tmp/skiff-cli-err.XXXXXX";
  int efd = ::mkstemp(errf);
  ::close(efd);
  cmd += " 2>" + std::string(errf);
  CliRun r{};
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.err = read_file(errf);
  ::unlink(errf);
  return r;
}
CliRun run_skiff(const std::vector<std::string>& args) {
  return run_binary(SKIFF_BINARY, args);
}

// skiff-network: the same commands in the lean binary (it links netns/ only).
TEST_F(BadInputTest, LeanSkiffNetworkBinaryRunsTheSameCommands) {
  std::string sd = "--state-dir=" + state_dir();
  CliRun r =
      run_binary(SKIFF_NETWORK_BINARY, {"network", sd, "create", "leannet", "--subnet", "10.38.0.0/24"});
  ASSERT_EQ(r.status, 0) << r.err;
  UniqueFd ns = new_netns();
  std::string path = "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(ns.get());
  r = run_binary(SKIFF_NETWORK_BINARY,
                 {"network", sd, "attach", "c1", "--netns", path, "--network", "leannet", "-p", "8080:80"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("address"), "10.38.0.2/24");
  r = run_binary(SKIFF_NETWORK_BINARY, {"network", sd, "create", "x", "--subnet", "10.38.0.0/25"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "skiff network create x: subnet 10.38.0.0/25 overlaps 10.38.0.0/24 of network leannet\n");
  r = run_binary(SKIFF_NETWORK_BINARY, {"network", sd, "detach", "c1", "--network", "leannet"});
  EXPECT_EQ(r.status, 0) << r.err;
  r = run_binary(SKIFF_NETWORK_BINARY, {"network", sd, "rm", "leannet"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(veth_count(), 0u);
  EXPECT_FALSE(skiff_table_exists());
  EXPECT_TRUE(NetworkStore(state_dir()).list().empty());
}

TEST_F(BadInputTest, CliCreateAttachDetachAndErrors) {
  std::string sd = "--state-dir=" + state_dir();
  CliRun r = run_skiff({"network", sd, "create", "clinet", "--subnet", "10.31.0.0/24", "--mtu", "1400"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_skiff({"network", sd, "create", "clinet2", "--subnet", "10.31.0.0/25"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err,
            "skiff network create clinet2: subnet 10.31.0.0/25 overlaps 10.31.0.0/24 of network clinet\n");
  r = run_skiff({"network", sd, "create", "x", "--subnet", "10.32.0.0/40"});
  EXPECT_EQ(r.err, "skiff network create x: invalid CIDR \"10.32.0.0/40\": prefix length must be 0..32\n");

  // A "container": a child process with its own namespace, attached by pid.
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(ready[0]);
    if (::unshare(CLONE_NEWNET) < 0) ::_exit(1);
    char c = 1;
    (void)!::write(ready[1], &c, 1);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  r = run_skiff(
      {"network", sd, "attach", "web", "--pid", std::to_string(pid), "--network", "clinet", "-p", "8080:80"});
  EXPECT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("address"), "10.31.0.2/24");
  EXPECT_EQ(j.at("ports").at(0), "0.0.0.0:8080:80/tcp");
  r = run_skiff({"network", sd, "attach", "web2", "--pid", std::to_string(pid), "--network", "clinet", "-p",
                 "8080:81"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err,
            "skiff network attach web2: port 0.0.0.0:8080:81/tcp is already published by container web "
            "(0.0.0.0:8080:80/tcp) on network clinet\n");
  r = run_skiff({"network", sd, "inspect", "clinet"});
  EXPECT_EQ(nlohmann::json::parse(r.out).at("containers").size(), 1u);
  r = run_skiff({"network", sd, "ls"});
  EXPECT_NE(r.out.find("clinet           clinet           10.31.0.0/24       10.31.0.1       1"),
            std::string::npos)
      << r.out;
  r = run_skiff({"network", sd, "detach", "web", "--network", "clinet"});
  EXPECT_EQ(r.status, 0) << r.err;
  r = run_skiff({"network", sd, "detach", "web", "--network", "clinet"});
  EXPECT_EQ(r.err, "skiff network detach web: container web is not attached to network clinet\n");
  r = run_skiff({"network", sd, "rm", "clinet"});
  EXPECT_EQ(r.status, 0) << r.err;
  r = run_skiff({"network", sd, "rm", "clinet"});
  EXPECT_EQ(r.err, "skiff network rm clinet: network clinet does not exist\n");
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  EXPECT_EQ(veth_count(), 0u);
  EXPECT_FALSE(skiff_table_exists());
}

}  // namespace
}  // namespace skiff::net::test
