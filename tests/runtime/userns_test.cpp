// User namespace id maps: validation, /etc/subuid parsing and the permission check, as pure functions.
#include <gtest/gtest.h>

#include <functional>

#include "error.hpp"
#include "userns.hpp"

using skiff::spec::IdMapping;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const skiff::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(UsernsMaps, ValidationNamesTheBadEntry) {
  using V = std::vector<IdMapping>;
  EXPECT_EQ(error_of([] {
              skiff::validate_id_mappings(V{{0, 1000, 1}, {1, 100000, 65536}}, "uidMappings");
            }),
            "");
  EXPECT_NE(error_of([] { skiff::validate_id_mappings(V{}, "uidMappings"); }).find("needs linux.uidMappings"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              skiff::validate_id_mappings(V{{0, 1000, 0}}, "gidMappings");
            }).find("linux.gidMappings[0]: size must be above 0"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              skiff::validate_id_mappings(V{{0, 1000, 10}, {5, 5000, 10}}, "uidMappings");
            }).find("linux.uidMappings[1]: container ids overlap linux.uidMappings[0]"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              skiff::validate_id_mappings(V{{0, 1000, 10}, {100, 1009, 10}}, "uidMappings");
            }).find("host ids overlap"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              skiff::validate_id_mappings(V{{4294967295u, 0, 2}}, "uidMappings");
            }).find("runs past"),
            std::string::npos);
}

TEST(UsernsMaps, SubidFileParsing) {
  std::string text =
      "# comment\n"
      "alice:100000:65536\n"
      "bob:165536:65536\n"
      "1001:300000:1000\n"
      "alice:500000:10\n"
      "broken line\n"
      "alice:x:y\n";
  auto a = skiff::parse_subid_ranges(text, "alice", 1000);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].start, 100000u);
  EXPECT_EQ(a[0].count, 65536u);
  EXPECT_EQ(a[1].start, 500000u);
  auto by_id = skiff::parse_subid_ranges(text, "carol", 1001);
  ASSERT_EQ(by_id.size(), 1u);
  EXPECT_EQ(by_id[0].start, 300000u);
  EXPECT_TRUE(skiff::parse_subid_ranges(text, "nobody", 4242).empty());
}

TEST(UsernsMaps, OnlyGrantedRangesAreAllowed) {
  using V = std::vector<IdMapping>;
  std::vector<skiff::SubIdRange> granted = {{100000, 65536}};
  EXPECT_EQ(error_of([&] {
              skiff::check_mappings_allowed(V{{0, 1000, 1}, {1, 100000, 65536}}, 1000, granted, "uidMappings",
                                            "/etc/subuid");
            }),
            "");
  EXPECT_NE(
      error_of([&] {
        skiff::check_mappings_allowed(V{{0, 1000, 1}, {1, 100000, 65537}}, 1000, granted, "uidMappings",
                                      "/etc/subuid");
      }).find("linux.uidMappings[1]: host ids 100000-165536 are not granted to this user by /etc/subuid"),
      std::string::npos);
  EXPECT_NE(error_of([&] {
              skiff::check_mappings_allowed(V{{0, 0, 1}}, 1000, {}, "uidMappings", "/etc/subuid");
            }).find("host ids 0-0"),
            std::string::npos);
}
