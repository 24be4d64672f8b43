// linux.resources parsing, validation and the v1 -> v2 conversions.
#include <gtest/gtest.h>

#include "cgroup.hpp"
#include "error.hpp"

using nlohmann::json;
using skiff::parse_cgroup_resources;

namespace {

std::string error_of(const json& j) {
  try {
    parse_cgroup_resources(j);
  } catch (const skiff::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(CgroupResources, ParsesEverySection) {
  auto r = parse_cgroup_resources(json::parse(R"({
    "memory": {"limit": 1048576, "reservation": 524288, "swap": 2097152, "disableOOMKiller": true},
    "cpu": {"shares": 512, "quota": 20000, "period": 100000, "cpus": "0-1", "mems": "0"},
    "pids": {"limit": 32},
    "blockIO": {"weight": 500, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1000}]},
    "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
    "unified": {"memory.high": "1000000"},
    "devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}]
  })"));
  ASSERT_TRUE(r.memory);
  EXPECT_EQ(*r.memory->limit, 1048576);
  EXPECT_EQ(*r.memory->swap, 2097152);
  EXPECT_TRUE(*r.memory->disable_oom_killer);
  ASSERT_TRUE(r.cpu);
  EXPECT_EQ(*r.cpu->shares, 512u);
  EXPECT_EQ(r.cpu->cpus, "0-1");
  EXPECT_EQ(*r.pids_limit, 32);
  ASSERT_TRUE(r.block_io);
  EXPECT_EQ(r.block_io->read_bps.size(), 1u);
  EXPECT_EQ(r.hugepage_limits[0].first, "2MB");
  EXPECT_EQ(r.unified.at("memory.high"), "1000000");
  ASSERT_EQ(r.devices.size(), 2u);
  EXPECT_EQ(r.devices[0].type, 'a');
  EXPECT_EQ(r.devices[1].minor, 3);
}

TEST(CgroupResources, NullIsNothing) {
  auto r = parse_cgroup_resources(json());
  EXPECT_FALSE(r.memory);
  EXPECT_FALSE(r.has_devices);
}

TEST(CgroupResources, RejectsBadValuesNamingTheField) {
  EXPECT_NE(error_of(json::parse(R"({"memory": {"limit": -5}})")).find("memory.limit"), std::string::npos);
  EXPECT_NE(error_of(json::parse(R"({"memory": {"limit": "1g"}})")).find("expected an integer"),
            std::string::npos);
  EXPECT_NE(error_of(json::parse(R"({"pids": {"limit": -2}})")).find("pids.limit"), std::string::npos);
  EXPECT_NE(error_of(json::parse(R"({"cpu": {"shares": 1}})")).find("cpu.shares"), std::string::npos);
  EXPECT_NE(error_of(json::parse(R"({"cpu": {"period": 10}})")).find("cpu.period"), std::string::npos);
  EXPECT_NE(error_of(json::parse(R"({"cpu": {"cpus": "0;1"}})")).find("cpu.cpus"), std::string::npos);
  EXPECT_NE(error_of(json::parse(R"({"blockIO": {"weight": 5}})")).find("blockIO.weight"), std::string::npos);
  EXPECT_NE(error_of(json::parse(R"({"unified": {"../x": "1"}})")).find("unified"), std::string::npos);
  EXPECT_NE(error_of(json::parse(R"({"devices": [{"allow": true, "type": "x"}]})")).find("devices[0].type"),
            std::string::npos);
  EXPECT_NE(error_of(json::parse(R"({"memory": {"limit": 2000000, "swap": 1000000}})")).find("memory.swap"),
            std::string::npos);
}

TEST(CgroupResources, MinusOneMeansUnlimited) {
  auto r =
      parse_cgroup_resources(json::parse(R"({"memory": {"limit": -1, "swap": -1}, "pids": {"limit": -1}})"));
  EXPECT_EQ(*r.memory->limit, -1);
  EXPECT_EQ(*r.pids_limit, -1);
}

TEST(CgroupConversions, SharesToWeightAsRunc) {
  EXPECT_EQ(skiff::cpu_shares_to_weight(0), 0u);
  EXPECT_EQ(skiff::cpu_shares_to_weight(2), 1u);
  EXPECT_EQ(skiff::cpu_shares_to_weight(1024), 39u);
  EXPECT_EQ(skiff::cpu_shares_to_weight(262144), 10000u);
}

TEST(CgroupConversions, BlkioWeightToIoWeight) {
  EXPECT_EQ(skiff::blkio_weight_to_io_weight(10), 1u);
  EXPECT_EQ(skiff::blkio_weight_to_io_weight(1000), 10000u);
  EXPECT_EQ(skiff::blkio_weight_to_io_weight(500), 4950u);
}

TEST(CgroupConversions, SwapIsTotalMinusMemoryOnV2) {
  EXPECT_EQ(skiff::memory_swap_to_v2(-1, 100), -1);
  EXPECT_EQ(skiff::memory_swap_to_v2(300, 100), 200);
  EXPECT_THROW(skiff::memory_swap_to_v2(50, 100), skiff::Error);
  EXPECT_THROW(skiff::memory_swap_to_v2(50, -1), skiff::Error);
}

TEST(CgroupsPath, RuncSemantics) {
  EXPECT_EQ(skiff::resolve_cgroups_path("", "c1"), "/skiff/c1");
  EXPECT_EQ(skiff::resolve_cgroups_path("/a/b/", "c1"), "/a/b");
  EXPECT_EQ(skiff::resolve_cgroups_path("a//b", "c1", "/user.slice"), "/user.slice/a/b");
  EXPECT_EQ(skiff::resolve_cgroups_path("a", "c1", "/"), "/a");
  EXPECT_THROW(skiff::resolve_cgroups_path("/a/../b", "c1"), skiff::Error);
  EXPECT_THROW(skiff::resolve_cgroups_path("/", "c1"), skiff::Error);
}

TEST(CgroupHost, DetectsTheLayoutFromMounts) {
  auto h = skiff::detect_cgroup_host();
  // Whatever this host is, the layout agrees with what is mounted.
  if (h.layout == skiff::CgroupLayout::hybrid) {
    EXPECT_FALSE(h.unified_mount.empty());
    EXPECT_FALSE(h.v1_mounts.empty());
  } else if (h.layout == skiff::CgroupLayout::v2) {
    EXPECT_EQ(h.unified_mount, "/sys/fs/cgroup");
    EXPECT_TRUE(h.v1_mounts.empty());
  }
  EXPECT_TRUE(h.self_paths.count("") || h.layout == skiff::CgroupLayout::v1);
}
