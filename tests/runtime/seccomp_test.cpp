// seccomp profile parsing, compiling (libseccomp) and loading, and the compiled-filter cache. The
// filters are real: each is loaded into a forked child (with no_new_privs, so no privilege is needed)
// and the child's syscalls show what it does.
#include <gtest/gtest.h>

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>

#include "error.hpp"
#include "file_util.hpp"
#include "seccomp.hpp"
#include "seccomp_cache.hpp"
#include "sha256.hpp"

using nlohmann::json;
namespace sc = skiff::seccomp;

namespace {

// Runs `body` in a forked child after loading `profile`'s filter; returns the child's wait status.
// The body returns the child's exit code.
int in_filtered_child(const json& profile, const std::function<int()>& body) {
  sc::Plan plan = sc::plan(profile, "");
  pid_t pid = fork();
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) _exit(100);
    sc::child_load(plan);
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

json errno_profile(const json& rules) {
  return {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", rules}};
}

constexpr int kBlockedErrno = 222;  // an errno no real getpgid returns

// getpgid(arg) in a filtered child: 1 if the filter answered with kBlockedErrno, 0 otherwise.
int getpgid_blocked(const json& profile, long arg) {
  int st = in_filtered_child(profile, [arg] {
    long rc = syscall(SYS_getpgid, arg);
    return rc < 0 && errno == kBlockedErrno ? 1 : 0;
  });
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string error_of(const json& profile) {
  try {
    sc::parse_profile(profile);
  } catch (const skiff::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(skiff::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(skiff::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(skiff::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  skiff::Sha256 s;  // a million 'a', fed in odd pieces
  std::string chunk(997, 'a');
  size_t left = 1000000;
  while (left) {
    size_t n = std::min(left, chunk.size());
    s.update(std::string_view(chunk.data(), n));
    left -= n;
  }
  auto d = s.digest();
  EXPECT_EQ(d[0], 0xcd);
  EXPECT_EQ(d[1], 0xc7);
  EXPECT_EQ(d[31], 0xd0);
}

TEST(SeccompParse, BadInputIsAnErrorNamingIt) {
  EXPECT_NE(error_of({{"defaultAction", "SCMP_ACT_BOGUS"}}).find("unknown action \"SCMP_ACT_BOGUS\""),
            std::string::npos);
  EXPECT_NE(error_of(errno_profile({{{"names", {"getpid"}}, {"action", "SCMP_ACT_NOPE"}}}))
                .find("unknown action \"SCMP_ACT_NOPE\""),
            std::string::npos);
  EXPECT_NE(error_of(errno_profile({{{"names", {"getpid"}},
                                     {"action", "SCMP_ACT_ERRNO"},
                                     {"args", {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_ALMOST"}}}}}}))
                .find("unknown operator \"SCMP_CMP_ALMOST\""),
            std::string::npos);
  EXPECT_NE(error_of({{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_Z80"}}})
                .find("unknown architecture \"SCMP_ARCH_Z80\""),
            std::string::npos);
  EXPECT_NE(error_of({{"defaultAction", "SCMP_ACT_ALLOW"}, {"flags", {"SECCOMP_FILTER_FLAG_FAST"}}})
                .find("unknown flag"),
            std::string::npos);
  EXPECT_NE(
      error_of({{"defaultAction", "SCMP_ACT_KILL"}, {"defaultErrnoRet", 1}}).find("errnoRet is only valid"),
      std::string::npos);
  EXPECT_NE(error_of(errno_profile({{{"names", {"getpid"}}, {"action", "SCMP_ACT_NOTIFY"}}}))
                .find("needs listenerPath"),
            std::string::npos);
  EXPECT_NE(
      error_of({{"defaultAction", "SCMP_ACT_ALLOW"}, {"listenerMetadata", "x"}}).find("listenerPath is not"),
      std::string::npos);
  EXPECT_NE(error_of(errno_profile({{{"names", json::array()}, {"action", "SCMP_ACT_ERRNO"}}})).find("names"),
            std::string::npos);
  EXPECT_NE(error_of(errno_profile({{{"names", {"getpid"}},
                                     {"action", "SCMP_ACT_ERRNO"},
                                     {"args", {{{"index", 6}, {"value", 1}, {"op", "SCMP_CMP_EQ"}}}}}}))
                .find("above 5"),
            std::string::npos);
  EXPECT_NE(error_of({{"defaultAction", "SCMP_ACT_NOTIFY"}, {"listenerPath", "/x"}}).find("defaultAction"),
            std::string::npos);
  EXPECT_EQ(
      error_of({{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}}}),
      "");
}

TEST(SeccompParse, UnknownSyscallsAreSkippedAndListed) {
  sc::Plan p = sc::plan(errno_profile({{{"names", {"getpid", "no_such_syscall_x", "another_fake"}},
                                        {"action", "SCMP_ACT_ERRNO"}}}),
                        "");
  ASSERT_TRUE(p.present);
  EXPECT_EQ(p.program.skipped, (std::vector<std::string>{"another_fake", "no_such_syscall_x"}));
  EXPECT_FALSE(p.program.bpf.empty());
}

TEST(SeccompLoad, ErrnoActionReturnsTheAskedErrno) {
  json prof =
      errno_profile({{{"names", {"getpgid"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", kBlockedErrno}},
                     {{"names", {"getsid"}}, {"action", "SCMP_ACT_ERRNO"}}});
  int st = in_filtered_child(prof, [] {
    long a = syscall(SYS_getpgid, 0);
    int ea = errno;
    long b = syscall(SYS_getsid, 0);
    int eb = errno;
    long c = syscall(SYS_getppid);
    return (a == -1 && ea == kBlockedErrno) && (b == -1 && eb == EPERM) && c > 0 ? 0 : 1;
  });
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0);
}

TEST(SeccompLoad, DefaultErrnoRetAppliesToEverythingNotAllowed) {
  // An allow list: only what the child needs to exit, and getppid.
  json prof = {{"defaultAction", "SCMP_ACT_ERRNO"},
               {"defaultErrnoRet", kBlockedErrno},
               {"syscalls", {{{"names", {"exit_group", "exit", "getppid"}}, {"action", "SCMP_ACT_ALLOW"}}}}};
  int st = in_filtered_child(prof, [] {
    long a = syscall(SYS_getpgid, 0);
    int ea = errno;
    long b = syscall(SYS_getppid);
    return a == -1 && ea == kBlockedErrno && b > 0 ? 0 : 1;
  });
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0);
}

TEST(SeccompLoad, KillActionsKill) {
  for (const char* action : {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD"}) {
    json prof = errno_profile({{{"names", {"getpgid"}}, {"action", action}}});
    int st = in_filtered_child(prof, [] {
      syscall(SYS_getpgid, 0);
      return 0;
    });
    ASSERT_TRUE(WIFSIGNALED(st)) << action;
    EXPECT_EQ(WTERMSIG(st), SIGSYS) << action;
  }
  json trap = errno_profile({{{"names", {"getpgid"}}, {"action", "SCMP_ACT_TRAP"}}});
  int st = in_filtered_child(trap, [] {
    syscall(SYS_getpgid, 0);
    return 0;
  });
  ASSERT_TRUE(WIFSIGNALED(st));
  EXPECT_EQ(WTERMSIG(st), SIGSYS);
}

TEST(SeccompLoad, EveryOperator) {
  struct Case {
    const char* op;
    uint64_t value, value_two;
    bool at50, at100, at150;
  };
  const Case cases[] = {
      {"SCMP_CMP_NE", 100, 0, true, false, true},          {"SCMP_CMP_LT", 100, 0, true, false, false},
      {"SCMP_CMP_LE", 100, 0, true, true, false},          {"SCMP_CMP_EQ", 100, 0, false, true, false},
      {"SCMP_CMP_GE", 100, 0, false, true, true},          {"SCMP_CMP_GT", 100, 0, false, false, true},
      {"SCMP_CMP_MASKED_EQ", 0x4, 0x4, false, true, true},  // 50=0b110010, 100=0b1100100, 150=0b10010110
  };
  for (const auto& c : cases) {
    json prof = errno_profile(
        {{{"names", {"getpgid"}},
          {"action", "SCMP_ACT_ERRNO"},
          {"errnoRet", kBlockedErrno},
          {"args", {{{"index", 0}, {"value", c.value}, {"valueTwo", c.value_two}, {"op", c.op}}}}}});
    EXPECT_EQ(getpgid_blocked(prof, 50), c.at50 ? 1 : 0) << c.op << " 50";
    EXPECT_EQ(getpgid_blocked(prof, 100), c.at100 ? 1 : 0) << c.op << " 100";
    EXPECT_EQ(getpgid_blocked(prof, 150), c.at150 ? 1 : 0) << c.op << " 150";
  }
}

TEST(SeccompLoad, ConditionsOnTheSameArgumentAreAlternatives) {
  // Two conditions on arg 0 in one entry: libseccomp takes one per argument, so (as runc) each becomes
  // its own rule and either matches.
  json prof = errno_profile({{{"names", {"getpgid"}},
                              {"action", "SCMP_ACT_ERRNO"},
                              {"errnoRet", kBlockedErrno},
                              {"args",
                               {{{"index", 0}, {"value", 50}, {"op", "SCMP_CMP_EQ"}},
                                {{"index", 0}, {"value", 150}, {"op", "SCMP_CMP_EQ"}}}}}});
  EXPECT_EQ(getpgid_blocked(prof, 50), 1);
  EXPECT_EQ(getpgid_blocked(prof, 100), 0);
  EXPECT_EQ(getpgid_blocked(prof, 150), 1);
  // Conditions on different arguments must all hold.
  json both = errno_profile({{{"names", {"kill"}},
                              {"action", "SCMP_ACT_ERRNO"},
                              {"errnoRet", kBlockedErrno},
                              {"args",
                               {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_EQ"}},
                                {{"index", 1}, {"value", 0}, {"op", "SCMP_CMP_EQ"}}}}}});
  int st = in_filtered_child(both, [] {
    long a = syscall(SYS_kill, 1, 0);  // both hold: blocked
    int ea = errno;
    long b = syscall(SYS_kill, getpid(), 0);  // arg 0 differs: allowed
    return a == -1 && ea == kBlockedErrno && b == 0 ? 0 : 1;
  });
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0);
}

TEST(SeccompLoad, FlagsAreProbedAndPassed) {
  auto supported = sc::supported_flags();
  json prof =
      errno_profile({{{"names", {"getpgid"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", kBlockedErrno}}});
  prof["flags"] = supported;
  if (std::find(supported.begin(), supported.end(), "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") !=
      supported.end())
    prof["flags"].erase(
        std::find(prof["flags"].begin(), prof["flags"].end(), "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));
  EXPECT_EQ(getpgid_blocked(prof, 0), 1);
}

// ---- cache ----

namespace {

struct CacheDir {
  CacheDir() {
    char tmpl[] = "/tmp/skiff-seccomp-cache-XXXXXX";
    root = mkdtemp(tmpl);
    dir = sc::cache_dir_for_root(root);
  }
  ~CacheDir() { std::filesystem::remove_all(root); }
  std::string root, dir;
};

json cache_profile() {
  return errno_profile(
      {{{"names", {"getpgid", "not_a_syscall"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 77}}});
}

}  // namespace

TEST(SeccompCache, StoresThenServesTheSameProgram) {
  CacheDir c;
  json prof = cache_profile();
  sc::Profile p = sc::parse_profile(prof);
  sc::Program cold = sc::compile_cached(p, prof, c.dir);
  std::string entry = c.dir + "/" + sc::cache_key(prof);
  struct stat st;
  ASSERT_EQ(stat(entry.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  sc::Program warm = sc::compile_cached(p, prof, c.dir);
  EXPECT_EQ(warm.bpf, cold.bpf);
  EXPECT_EQ(warm.skipped, (std::vector<std::string>{"not_a_syscall"}));
  EXPECT_EQ(cold.bpf, sc::compile(p).bpf);
  // Another profile, another key.
  json other = prof;
  other["syscalls"][0]["errnoRet"] = 78;
  EXPECT_NE(sc::cache_key(other), sc::cache_key(prof));
}

TEST(SeccompCache, TamperedOrForeignEntriesAreNotUsed) {
  CacheDir c;
  json prof = cache_profile();
  sc::Profile p = sc::parse_profile(prof);
  sc::Program good = sc::compile_cached(p, prof, c.dir);
  std::string entry = c.dir + "/" + sc::cache_key(prof);

  // A program swapped for another (allow everything) without fixing the checksum.
  std::string data = skiff::read_file(entry);
  json allow = {{"defaultAction", "SCMP_ACT_ALLOW"}};
  sc::Program evil = sc::compile(sc::parse_profile(allow));
  std::string tampered = data.substr(0, data.size() - good.bpf.size()) + evil.bpf;
  skiff::write_file_atomic(entry, tampered, 0600);
  EXPECT_EQ(sc::compile_cached(p, prof, c.dir).bpf, good.bpf);
  EXPECT_EQ(skiff::read_file(entry), data) << "a bad entry is replaced";

  // A well-formed entry of another profile renamed to this key.
  sc::Program other = sc::compile_cached(sc::parse_profile(allow), allow, c.dir);
  std::filesystem::copy_file(c.dir + "/" + sc::cache_key(allow), entry,
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_EQ(sc::compile_cached(p, prof, c.dir).bpf, good.bpf);

  // A correct entry that others may write is not trusted.
  skiff::write_file_atomic(entry, data, 0600);
  chmod(entry.c_str(), 0666);
  skiff::write_file_atomic(entry, tampered, 0666);
  chmod(entry.c_str(), 0666);
  EXPECT_EQ(sc::compile_cached(p, prof, c.dir).bpf, good.bpf);
  // A symlinked entry is not followed.
  unlink(entry.c_str());
  std::string planted = c.root + "/planted";
  skiff::write_file_atomic(planted, tampered, 0600);
  ASSERT_EQ(symlink(planted.c_str(), entry.c_str()), 0);
  EXPECT_EQ(sc::compile_cached(p, prof, c.dir).bpf, good.bpf);
}

TEST(SeccompCache, ConcurrentRuntimesAgree) {
  CacheDir c;
  json prof = cache_profile();
  sc::Profile p = sc::parse_profile(prof);
  std::string expect = sc::compile(p).bpf;
  std::vector<pid_t> kids;
  for (int i = 0; i < 6; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      int bad = 0;
      for (int k = 0; k < 20; ++k) {
        if (k % 5 == 0) unlink((c.dir + "/" + sc::cache_key(prof)).c_str());
        if (sc::compile_cached(p, prof, c.dir).bpf != expect) ++bad;
      }
      _exit(bad);
    }
    kids.push_back(pid);
  }
  for (pid_t k : kids) {
    int st = 0;
    waitpid(k, &st, 0);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  for (const auto& e : std::filesystem::directory_iterator(c.dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}
