// OCI hooks: the state on stdin, exit statuses, timeouts that kill and reap, and hooks that ignore stdin.
#include "hooks.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "error.hpp"

using skiff::Error;
using skiff::run_hook;
using skiff::run_hooks;
namespace spec = skiff::spec;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/skiff-hooks-XXXXXX";
    path = ::mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A hook that runs `script` with /bin/sh; OUT in its environment names a scratch file.
spec::Hook sh_hook(const std::string& script, const std::string& out = "", std::optional<int> timeout = {}) {
  spec::Hook h;
  h.path = "/bin/sh";
  h.args = {"sh", "-c", script};
  if (!out.empty()) h.env = {"OUT=" + out};
  h.timeout = timeout;
  return h;
}

std::string error_of(const spec::Hook& h, const std::string& state) {
  try {
    run_hook(h, state);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// No child of this test process is left, running or zombie.
bool no_children() {
  siginfo_t info = {};
  return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG) < 0 && errno == ECHILD;
}

const std::string kState = R"({"ociVersion":"1.2.0","id":"c1","status":"creating","pid":42,"bundle":"/b"})";

}  // namespace

TEST(Hooks, StateArrivesOnStdin) {
  TempDir d;
  std::string out = d.path + "/state";
  run_hook(sh_hook("cat > \"$OUT\"", out), kState);
  EXPECT_EQ(slurp(out), kState);
  EXPECT_TRUE(no_children());
}

TEST(Hooks, ArgvAndEnvAreExactlyTheHooks) {
  TempDir d;
  std::string out = d.path + "/seen";
  // Something the runtime's environment has and the hook's must not.
  ::setenv("SKIFF_HOOK_TEST_PARENT_ONLY", "1", 1);
  // The shell's own argv (from /proc) shows argv[0] as given; "$0" is sh -c's first operand.
  spec::Hook h = sh_hook(
      "{ tr '\\0' '|' < /proc/$$/cmdline; echo \"$0|$FOO|${SKIFF_HOOK_TEST_PARENT_ONLY-unset}\"; } > \"$OUT\"", out);
  h.args = {"custom-argv0", "-c", h.args[2], "operand"};
  h.env.push_back("FOO=bar baz");
  run_hook(h, kState);
  std::string argv;
  for (const auto& a : h.args) argv += a + "|";
  EXPECT_EQ(slurp(out), argv + "operand|bar baz|unset\n");
}

TEST(Hooks, NoArgsMeansArgv0IsThePath) {
  TempDir d;
  std::string script = d.path + "/hook";
  std::string out = d.path + "/argv0";
  std::ofstream(script) << "#!/bin/sh\necho \"$0 $#\" > " << out << "\n";
  ::chmod(script.c_str(), 0755);
  spec::Hook h;
  h.path = script;
  run_hook(h, kState);
  EXPECT_EQ(slurp(out), script + " 0\n");
}

TEST(Hooks, NonZeroExitIsAnError) {
  EXPECT_EQ(error_of(sh_hook("exit 3"), kState), "hook /bin/sh: exit status 3");
  EXPECT_EQ(error_of(sh_hook("exit 0"), kState), "");
  EXPECT_TRUE(no_children());
}

TEST(Hooks, KilledBySignalIsAnError) {
  EXPECT_EQ(error_of(sh_hook("kill -9 $$"), kState), "hook /bin/sh: killed by signal 9");
  EXPECT_EQ(error_of(sh_hook("kill -TERM $$"), kState), "hook /bin/sh: killed by signal " + std::to_string(SIGTERM));
}

TEST(Hooks, TimeoutKillsAndReaps) {
  TempDir d;
  std::string out = d.path + "/pid";
  auto start = std::chrono::steady_clock::now();
  std::string why = error_of(sh_hook("echo $$ > \"$OUT\"; exec sleep 30", out, 1), kState);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(why, "hook /bin/sh: timed out after 1s");
  EXPECT_GE(secs, 0.9);
  EXPECT_LT(secs, 10.0);
  pid_t pid = std::stoi(slurp(out));
  // Reaped, not a zombie: the pid no longer exists at all.
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  EXPECT_TRUE(no_children());
}

TEST(Hooks, TimeoutAppliesWhileStdinIsBlocked) {
  // A hook that neither reads stdin nor exits, with more state than a pipe holds: the write must not
  // outlast the timeout.
  std::string big(4 << 20, 'x');
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(error_of(sh_hook("exec sleep 30", "", 1), big), "hook /bin/sh: timed out after 1s");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 10.0);
  EXPECT_TRUE(no_children());
}

TEST(Hooks, HookThatIgnoresStdinDoesNotFailTheWrite) {
  // 4 MiB is far more than a pipe buffer: the write meets EPIPE (or the exit) and must not raise SIGPIPE
  // in this process or turn into an error.
  std::string big(4 << 20, 'x');
  EXPECT_EQ(error_of(sh_hook("exit 0"), big), "");
  EXPECT_EQ(error_of(sh_hook("sleep 0.2"), big), "");
  EXPECT_EQ(error_of(sh_hook("exec 0<&-; sleep 0.1"), big), "");
  // A hook that reads only part of it.
  EXPECT_EQ(error_of(sh_hook("head -c 100 > /dev/null"), big), "");
  EXPECT_TRUE(no_children());
}

TEST(Hooks, LargeStateIsDeliveredWhole) {
  TempDir d;
  std::string out = d.path + "/big";
  std::string big(1 << 20, 'y');
  run_hook(sh_hook("cat > \"$OUT\"", out), big);
  EXPECT_EQ(slurp(out).size(), big.size());
}

TEST(Hooks, MissingExecutable) {
  spec::Hook h;
  h.path = "/nonexistent/hook";
  EXPECT_EQ(error_of(h, kState), "hook /nonexistent/hook: exec: No such file or directory");
  TempDir d;
  std::string not_exec = d.path + "/plain";
  std::ofstream(not_exec) << "#!/bin/sh\n";
  h.path = not_exec;
  EXPECT_EQ(error_of(h, kState), "hook " + not_exec + ": exec: Permission denied");
  EXPECT_TRUE(no_children());
}

TEST(Hooks, OutputGoesToTheRuntimesStderr) {
  TempDir d;
  std::string capture = d.path + "/stderr";
  int saved = ::dup(2);
  ASSERT_GE(saved, 0);
  int fd = ::open(capture.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ::dup2(fd, 2);
  ::close(fd);
  std::string why = error_of(sh_hook("echo to-stdout; echo to-stderr >&2"), kState);
  ::dup2(saved, 2);
  ::close(saved);
  EXPECT_EQ(why, "");
  EXPECT_EQ(slurp(capture), "to-stdout\nto-stderr\n");
}

TEST(Hooks, OnlyStandardFdsAreInherited) {
  TempDir d;
  std::string out = d.path + "/fds";
  int leaked = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaked, 3);
  run_hook(sh_hook("ls /proc/self/fd > \"$OUT\"", out), kState);
  ::close(leaked);
  // ls itself opens one directory fd while listing: 0, 1, 2 and that one.
  std::istringstream fds(slurp(out));
  int n = 0, count = 0;
  while (fds >> n) {
    ++count;
    EXPECT_TRUE(n <= 3) << "fd " << n << " leaked into the hook";
  }
  EXPECT_EQ(count, 4);
}

TEST(Hooks, BlockedSignalsAreNotInherited) {
  TempDir d;
  std::string out = d.path + "/mask";
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &block, &old);
  run_hook(sh_hook("grep SigBlk /proc/self/status > \"$OUT\"", out), kState);
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  EXPECT_EQ(slurp(out), "SigBlk:\t0000000000000000\n");
}

TEST(Hooks, RunHooksStopsAtTheFirstFailureAndNamesThePhase) {
  TempDir d;
  std::string first = d.path + "/first", third = d.path + "/third";
  std::vector<spec::Hook> hooks = {sh_hook("echo ran > \"$OUT\"", first), sh_hook("exit 7"),
                                   sh_hook("echo ran > \"$OUT\"", third)};
  try {
    run_hooks(hooks, "createRuntime", kState);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "createRuntime hook /bin/sh: exit status 7");
  }
  EXPECT_TRUE(std::filesystem::exists(first));
  EXPECT_FALSE(std::filesystem::exists(third));
  EXPECT_NO_THROW(run_hooks({}, "poststop", kState));
}
