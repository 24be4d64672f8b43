// `skiff run`'s value flags read as Docker reads them: sizes, CPUs, pids, env files.
#include "run_flag_values.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "error.hpp"

namespace skiff::image {
namespace {

TEST(RunFlagValues, CpusBecomeAQuotaOverA100msPeriod) {
  EXPECT_EQ(cpus_to_quota("0.5", 2), 50000);
  EXPECT_EQ(cpus_to_quota("1.5", 2), 150000);
  EXPECT_EQ(cpus_to_quota("2", 2), 200000);
  EXPECT_EQ(cpus_to_quota("0.01", 2), 1000);
  for (const char* bad : {"0", "-1", "abc", "0.5x", "", "0.001", "nan", "inf"})
    EXPECT_THROW(cpus_to_quota(bad, 2), Error) << bad;
  EXPECT_THROW(cpus_to_quota("3", 2), Error);  // more CPUs than the machine has
}

TEST(RunFlagValues, ResourcesOnlyForTheFlagsGiven) {
  EXPECT_TRUE(resources_from_flags({}).empty());
  ResourceFlags f;
  f.memory = "64m";
  f.pids_limit = "100";
  auto r = resources_from_flags(f);
  EXPECT_EQ(r["memory"]["limit"], 64 * 1024 * 1024);
  EXPECT_EQ(r["pids"]["limit"], 100);
  EXPECT_FALSE(r.contains("cpu"));
  f.memory = "1g";
  EXPECT_EQ(resources_from_flags(f)["memory"]["limit"], int64_t{1} << 30);
  f.memory = "1GB";
  EXPECT_EQ(resources_from_flags(f)["memory"]["limit"], int64_t{1} << 30);
  f.pids_limit = "-1";  // unlimited: no entry at all
  EXPECT_FALSE(resources_from_flags(f).contains("pids"));
  f.pids_limit = "0";
  EXPECT_FALSE(resources_from_flags(f).contains("pids"));
  for (const char* bad : {"12x", "m", "1k", "-5m"}) {
    ResourceFlags m;
    m.memory = bad;
    EXPECT_THROW(resources_from_flags(m), Error) << bad;
  }
  for (const char* bad : {"-2", "ten", "5 ", ""}) {
    ResourceFlags p;
    p.pids_limit = bad;
    EXPECT_THROW(resources_from_flags(p), Error) << bad;
  }
}

TEST(RunFlagValues, EnvFileLinesAsDocker) {
  ::setenv("SKIFF_ENVFILE_TEST_SET", "ours", 1);
  ::unsetenv("SKIFF_ENVFILE_TEST_UNSET");
  auto env = parse_env_file(
      "# comment\n\n   \n  INDENTED=yes\nQUOTED=\"kept as is\"\nEMPTY=\nEQ=a=b\r\nSKIFF_ENVFILE_TEST_SET\n"
      "SKIFF_ENVFILE_TEST_UNSET\n",
      "f.env");
  EXPECT_EQ(env, (std::vector<std::string>{"INDENTED=yes", "QUOTED=\"kept as is\"", "EMPTY=", "EQ=a=b",
                                           "SKIFF_ENVFILE_TEST_SET=ours"}));
  try {
    parse_env_file("A=1\nB C=2\n", "f.env");
    FAIL() << "a name with a space was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("f.env:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_env_file("=value\n", "f.env"), Error);
  EXPECT_THROW(read_env_file("/nonexistent/skiff.env"), Error);
}

}  // namespace
}  // namespace skiff::image
