#include "cli_args.hpp"

#include <gtest/gtest.h>

using skiff::FlagTable;
using skiff::normalize_runtime_args;
using V = std::vector<std::string>;

namespace {
FlagTable global() {
  return {{"root", "log", "log-format"}, {"debug", "systemd-cgroup"}};
}
FlagTable cmd() {
  return {{"bundle", "pid-file", "console-socket", "env", "cwd"}, {"detach", "tty", "no-subreaper"}};
}
}  // namespace

TEST(CliArgs, GoStyleSingleDashBecomesDouble) {
  auto out = normalize_runtime_args(V{"rt", "-root", "/r", "-log-format", "json", "create", "-bundle", "/b",
                                      "-pid-file=/p", "-no-subreaper", "id"},
                                    global(), cmd());
  EXPECT_EQ(out, (V{"rt", "--root", "/r", "--log-format", "json", "create", "--bundle", "/b", "--pid-file=/p",
                    "--no-subreaper", "id"}));
}

TEST(CliArgs, ShortFlagsAndDoubleDashStay) {
  auto out =
      normalize_runtime_args(V{"rt", "--root", "/r", "run", "-d", "--bundle", "/b", "id"}, global(), cmd());
  EXPECT_EQ(out, (V{"rt", "--root", "/r", "run", "-d", "--bundle", "/b", "id"}));
}

TEST(CliArgs, ExecCommandFlagsAreNotOurs) {
  auto out = normalize_runtime_args(V{"rt", "exec", "-tty", "--env", "A=1", "id", "sh", "-c", "-bundle"},
                                    global(), cmd());
  EXPECT_EQ(out, (V{"rt", "exec", "--tty", "--env", "A=1", "id", "--", "sh", "-c", "-bundle"}));
}

TEST(CliArgs, ValueThatLooksLikeAFlagIsKeptAsValue) {
  auto out = normalize_runtime_args(V{"rt", "exec", "--cwd", "-weird", "id", "ls"}, global(), cmd());
  EXPECT_EQ(out, (V{"rt", "exec", "--cwd", "-weird", "id", "--", "ls"}));
}
