// The per-container hosts and resolv.conf contents, and the in-place update that keeps a bind-mounted
// file's inode (no root needed).
#include "hosts_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_util.hpp"

namespace skiff::net {
namespace {

TEST(HostsFiles, HostsNameEveryMemberAndLocalhost) {
  NetworkConfig c = make_network_config("hn", "10.9.0.0/24");
  Allocation a, b;
  a.ip = *parse_ipv4("10.9.0.2");
  a.container_id = "a1";
  a.name = "web";
  a.aliases = {"www"};
  b.ip = *parse_ipv4("10.9.0.3");
  b.container_id = "b1";
  std::string h = render_hosts(c, {a, b});
  EXPECT_NE(h.find("127.0.0.1\tlocalhost\n"), std::string::npos);
  EXPECT_NE(h.find("10.9.0.2\tweb www\n"), std::string::npos);
  EXPECT_NE(h.find("10.9.0.3\tb1\n"), std::string::npos);  // no name: the id
}

TEST(HostsFiles, ResolvConfDropsLoopbackServersAndHonoursTheNetworksList) {
  NetworkConfig c = make_network_config("hn", "10.9.0.0/24");
  std::string host = "nameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch example.org\noptions edns0\n";
  std::string r = render_resolv_conf(c, host);
  EXPECT_EQ(r.find("127.0.0.53"), std::string::npos);  // the container's own loopback, not the host's
  EXPECT_NE(r.find("nameserver 192.0.2.53\n"), std::string::npos);
  EXPECT_NE(r.find("search example.org\n"), std::string::npos);
  EXPECT_NE(r.find("options edns0\n"), std::string::npos);
  NetworkConfig d = make_network_config("hn", "10.9.0.0/24", "", "", 1500, {"198.51.100.1"}, {"corp"});
  r = render_resolv_conf(d, host);
  EXPECT_NE(r.find("nameserver 198.51.100.1\n"), std::string::npos);
  EXPECT_NE(r.find("search corp\n"), std::string::npos);
  EXPECT_EQ(r.find("192.0.2.53"), std::string::npos);
  r = render_resolv_conf(c, "nameserver 127.0.0.53\n");
  EXPECT_NE(r.find("give the network --dns"), std::string::npos);
}

TEST(HostsFiles, UpdateKeepsTheInodeOfABindMountedFile) {
  char t[] = "/tmp/skiff-hosts-test.XXXXXX";
  std::string dir = ::mkdtemp(t), path = dir + "/hosts";
  update_bind_mounted_file(path, "first, longer content\n");
  struct stat a {
  }, b{};
  ASSERT_EQ(::stat(path.c_str(), &a), 0);
  update_bind_mounted_file(path, "second\n");
  ASSERT_EQ(::stat(path.c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(read_file(path), "second\n");
  remove_all(dir);
}

}  // namespace
}  // namespace skiff::net
