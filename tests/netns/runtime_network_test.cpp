// Real containers made by skiff-runtime from the fixture bundle, on a skiff network: the way the
// supervisor (and podman with CNI) will do it. A network namespace is made and attached first; the
// container joins it through linux.namespaces' `path` and gets the network's hosts and resolv.conf
// files bind-mounted. Everything happens inside the test's own "host" namespace (HostNetnsTest): the
// runtime is spawned from the test's thread and inherits it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>

#include "harness.hpp"
#include "netns_fixture.hpp"
#include "netns_ref.hpp"
#include "network_store.hpp"

namespace skiff::net::test {
namespace {

using skiff::test::Bundle;
using skiff::test::Result;
using skiff::test::Runtime;

class RuntimeNetworkTest : public HostNetnsTest {
 protected:
  struct Container {
    std::string id;
    UniqueFd netns;
    Attachment attachment;
    std::unique_ptr<Bundle> bundle;
  };

  // Attaches a fresh namespace as `name`, then runs a detached container in it that answers every
  // TCP connection on port 80 with its host name.
  Container start(NetworkStore& store, Runtime& rt, const std::string& name) {
    Container c;
    c.id = rt.unique_id(name);
    c.netns = new_netns();
    AttachRequest r;
    r.network = "rtnet";
    r.container_id = c.id;
    r.name = name;
    c.attachment = store.attach(r, NetnsRef::from_fd(UniqueFd(::dup(c.netns.get()))));

    c.bundle = std::make_unique<Bundle>();
    auto& cfg = c.bundle->config;
    cfg["hostname"] = name;
    // This process holds the namespace open; the runtime opens it through our fd.
    std::string path = "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(c.netns.get());
    for (auto& ns : cfg["linux"]["namespaces"])
      if (ns["type"] == "network") ns["path"] = path;
    for (const auto& [dest, src] : {std::pair{"/etc/hosts", c.attachment.hosts_path},
                                    std::pair{"/etc/resolv.conf", c.attachment.resolv_conf_path}})
      cfg["mounts"].push_back({{"destination", dest},
                               {"type", "bind"},
                               {"source", src},
                               {"options", {"bind", "ro", "nosuid", "nodev", "noexec"}}});
    // -ll -e: a persistent server running `hostname` for each connection.
    c.bundle->set_args({"/usr/bin/nc", "-ll", "-p", "80", "-e", "/bin/hostname"});
    c.bundle->write();
    Result res = rt({"run", "-d", "--bundle", c.bundle->path(), c.id});
    EXPECT_EQ(res.status, 0) << res.err;
    return c;
  }

  // From inside container `from`, connects to `host`:80 and returns what came back. The server may
  // not be listening yet right after `run -d`: connection refused is retried a bounded number of
  // times (a guard against a race, not a timing assertion).
  static std::string ask(Runtime& rt, const Container& from, const std::string& host) {
    Result r;
    for (int i = 0; i < 50; ++i) {
      r = rt({"exec", from.id, "/usr/bin/nc", "-w", "5", host, "80"});
      if (r.status == 0 && !r.out.empty()) return r.out;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "(failed: status " + std::to_string(r.status) + ", " + r.err + ")";
  }
};

TEST_F(RuntimeNetworkTest, ContainersReachEachOtherByNameThroughTheirHostsFiles) {
  if (!skiff::test::is_root()) GTEST_SKIP() << "needs root to run containers";
  NetworkStore store(state_dir());
  store.create(make_network_config("rtnet", "10.46.0.0/24"));
  Runtime rt;
  Container a = start(store, rt, "web-a");
  Container b = start(store, rt, "web-b");

  // The container sees the network's files at /etc/hosts and /etc/resolv.conf.
  Result hosts = rt({"exec", a.id, "/bin/cat", "/etc/hosts"});
  ASSERT_EQ(hosts.status, 0) << hosts.err;
  EXPECT_NE(hosts.out.find(b.attachment.address.addr.str() + "\tweb-b"), std::string::npos) << hosts.out;
  EXPECT_NE(hosts.out.find(a.attachment.address.addr.str() + "\tweb-a"), std::string::npos) << hosts.out;

  EXPECT_EQ(ask(rt, a, "web-b"), "web-b\n");
  EXPECT_EQ(ask(rt, b, "web-a"), "web-a\n");
  EXPECT_EQ(ask(rt, a, b.attachment.address.addr.str()), "web-b\n");

  // A newcomer's name reaches the running containers' bind-mounted files (updated in place).
  Container c = start(store, rt, "web-c");
  EXPECT_EQ(ask(rt, a, "web-c"), "web-c\n");
  EXPECT_EQ(ask(rt, c, "web-a"), "web-a\n");

  // And a name that leaves is gone from them.
  ASSERT_EQ(rt({"delete", "--force", c.id}).status, 0);
  EXPECT_TRUE(store.detach("rtnet", c.id));
  hosts = rt({"exec", a.id, "/bin/cat", "/etc/hosts"});
  EXPECT_EQ(hosts.out.find("web-c"), std::string::npos) << hosts.out;
  Result gone = rt({"exec", a.id, "/usr/bin/nc", "-w", "2", "web-c", "80"});
  EXPECT_NE(gone.status, 0);

  for (const Container* x : {&a, &b}) {
    EXPECT_EQ(rt({"delete", "--force", x->id}).status, 0);
    EXPECT_TRUE(store.detach("rtnet", x->id));
  }
  EXPECT_TRUE(host_links("sk").empty());
  EXPECT_FALSE(skiff_table_exists());
}

}  // namespace
}  // namespace skiff::net::test
