// What a container gets from config.json, checked from inside a real container.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include "harness.hpp"

using namespace skiff::test;

TEST(Container, Pid1HostnameEnvCwdUser) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["hostname"] = "skiff-test-host";
  b.config["domainname"] = "example.test";
  b.config["process"]["env"] = {"PATH=/bin:/usr/bin", "FOO=bar baz"};
  b.config["process"]["cwd"] = "/tmp";
  b.config["process"]["user"] = {
      {"uid", 1000}, {"gid", 1000}, {"additionalGids", {5, 65534}}, {"umask", 077}};
  auto r = run_sh(rt, b,
                  "echo pid=$$; echo host=$(hostname); echo dom=$(cat /proc/sys/kernel/domainname); "
                  "echo foo=$FOO; echo cwd=$(pwd); echo uid=$(id -u) gid=$(id -g) groups=$(id -G); "
                  "echo umask=$(umask)");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("pid=1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("host=skiff-test-host\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dom=example.test\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("foo=bar baz\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cwd=/tmp\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("uid=1000 gid=1000 groups=1000 5 65534\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("umask=0077\n"), std::string::npos) << r.out;
}

TEST(Container, ExitStatusAndSignal) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  EXPECT_EQ(run_sh(rt, b, "exit 3").status, 3);
  // As pid 1, only kernel-forced signals kill: sk-exit faults for real (see rootfs-fixtures/helpers).
  EXPECT_EQ(run_sh(rt, b, "exec sk-exit --signal SEGV").status, 128 + SIGSEGV);
  EXPECT_EQ(run_sh(rt, b, "true").status, 0);
}

TEST(Container, NamespacesAreNew) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  auto r = run_sh(rt, b, "for n in pid net ipc uts mnt; do echo $n=$(readlink /proc/self/ns/$n); done");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* n : {"pid", "net", "ipc", "uts", "mnt"}) {
    char host[256] = {};
    ssize_t k = readlink((std::string("/proc/self/ns/") + n).c_str(), host, sizeof host - 1);
    ASSERT_GT(k, 0);
    EXPECT_EQ(r.out.find(std::string(n) + "=" + host + "\n"), std::string::npos) << n << " is the host's";
    EXPECT_NE(r.out.find(std::string(n) + "="), std::string::npos);
  }
}

TEST(Container, MountsAndTheirFlags) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  TempDir src;
  std::ofstream(src.path() + "/hello") << "from-host";
  b.config["mounts"].push_back({{"destination", "/data"},
                                {"type", "bind"},
                                {"source", src.path()},
                                {"options", {"rbind", "ro", "nosuid"}}});
  b.config["mounts"].push_back({{"destination", "/scratch"},
                                {"type", "tmpfs"},
                                {"source", "tmpfs"},
                                {"options", {"nosuid", "nodev", "noexec", "size=1m", "mode=1777"}}});
  auto r = run_sh(rt, b,
                  "cat /data/hello; echo; grep -E ' /(data|scratch|proc|sys|dev/pts|dev/shm) ' "
                  "/proc/self/mountinfo; touch /data/x && echo WROTE; stat -c %a /scratch");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("from-host"), std::string::npos);
  EXPECT_EQ(r.out.find("WROTE"), std::string::npos) << "a ro bind mount was writable";
  auto line_of = [&](const std::string& mp) {
    auto p = r.out.find(" " + mp + " ");
    if (p == std::string::npos) return std::string();
    auto s = r.out.rfind('\n', p);
    return r.out.substr(s + 1, r.out.find('\n', p) - s - 1);
  };
  std::string data = line_of("/data"), scratch = line_of("/scratch");
  ASSERT_FALSE(data.empty()) << r.out;
  EXPECT_NE(data.find(" ro,nosuid"), std::string::npos) << data;
  ASSERT_FALSE(scratch.empty()) << r.out;
  EXPECT_NE(scratch.find("nosuid,nodev,noexec"), std::string::npos) << scratch;
  EXPECT_NE(scratch.find("tmpfs"), std::string::npos) << scratch;
  EXPECT_NE(r.out.find("1777"), std::string::npos);
  EXPECT_NE(line_of("/proc").find(" - proc "), std::string::npos);
  EXPECT_NE(line_of("/sys").find(" ro,"), std::string::npos) << line_of("/sys");
  EXPECT_NE(line_of("/dev/pts").find("devpts"), std::string::npos);
}

TEST(Container, RootIsReadOnlyWhenAsked) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["root"]["readonly"] = true;
  auto r = run_sh(rt, b, "touch /newfile 2>&1 && echo WROTE; touch /dev/shm/ok && echo SHM");
  EXPECT_EQ(r.out.find("WROTE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Read-only file system"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SHM"), std::string::npos) << r.out;
}

TEST(Container, MaskedAndReadonlyPaths) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  // Masked files read as empty (bind of /dev/null); only those the host kernel has can be checked.
  std::vector<std::string> masked_files;
  for (const char* f : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug"}) {
    if (access(f, F_OK) == 0) masked_files.push_back(f);
  }
  ASSERT_FALSE(masked_files.empty()) << "host has none of the masked /proc files";
  std::string script;
  for (const auto& f : masked_files) script += "echo " + f + "=$(wc -c < " + f + "); ";
  auto r = run_sh(rt, b,
                  script +
                      "ls /proc/acpi 2>/dev/null | wc -l; "
                      "echo 1 > /proc/sys/kernel/domainname && echo SYSWROTE; "
                      "echo c > /proc/sysrq-trigger && echo SYSRQ; grep ' /proc/sys ' /proc/self/mountinfo");
  for (const auto& f : masked_files) EXPECT_NE(r.out.find(f + "=0\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("SYSWROTE"), std::string::npos) << "/proc/sys was writable: " << r.out;
  EXPECT_EQ(r.out.find("SYSRQ"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" /proc/sys ro,"), std::string::npos) << r.out;
}

TEST(Container, DefaultAndSpecDevices) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["linux"]["devices"] = {{{"path", "/dev/skiffnull"},
                                   {"type", "c"},
                                   {"major", 1},
                                   {"minor", 3},
                                   {"fileMode", 0640},
                                   {"uid", 1000},
                                   {"gid", 5}}};
  auto r =
      run_sh(rt, b,
             "for d in null zero full random urandom tty skiffnull; do stat -c '%n %t:%T %a %u:%g' /dev/$d; "
             "done; for l in fd stdin ptmx; do readlink /dev/$l; done; echo x > /dev/null && echo NULLOK; ls "
             "/dev/pts/ptmx");
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("/dev/null 1:3 666 0:0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/dev/urandom 1:9 666"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/dev/tty 5:0 666"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/dev/skiffnull 1:3 640 1000:5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/proc/self/fd\n/proc/self/fd/0\npts/ptmx\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NULLOK"), std::string::npos);
}

TEST(Container, RlimitsOomScoreAndNoNewPrivs) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 512}, {"hard", 1024}},
                                    {{"type", "RLIMIT_NPROC"}, {"soft", 300}, {"hard", 400}}};
  b.config["process"]["oomScoreAdj"] = 500;
  b.config["process"]["noNewPrivileges"] = true;
  auto r = run_sh(rt, b,
                  "ulimit -n; ulimit -Hn; ulimit -u; cat /proc/self/oom_score_adj; "
                  "grep NoNewPrivs /proc/self/status");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("512\n1024\n300\n500\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NoNewPrivs:\t1"), std::string::npos) << r.out;
}

TEST(Container, RlimitAboveKernelMaximumIsAClearError) {
  REQUIRE_ROOT();
  // Even root cannot raise RLIMIT_NOFILE past fs.nr_open: setrlimit fails with EPERM in the container.
  unsigned long nr_open = 0;
  std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
  ASSERT_GT(nr_open, 0u);
  Runtime rt;
  Bundle b;
  nlohmann::json limit = {{"type", "RLIMIT_NOFILE"}, {"soft", 1024}, {"hard", nr_open + 1}};
  b.config["process"]["rlimits"] = nlohmann::json::array({limit});
  auto r = run_sh(rt, b, "true");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("RLIMIT_NOFILE"), std::string::npos) << r.err;
}

TEST(Container, SysctlIsWritten) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "123456789"}};
  auto r = run_sh(rt, b, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1\n123456789\n");
}

TEST(Container, TimeNamespaceOffsets) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["linux"]["namespaces"].push_back({{"type", "time"}});
  b.config["linux"]["timeOffsets"] = {{"boottime", {{"secs", 86400 * 365}, {"nanosecs", 0}}}};
  auto r = run_sh(rt, b, "cut -d. -f1 /proc/uptime");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_GT(std::stol(r.out), 86400L * 365) << r.out;
}

TEST(Container, NoPivotWorks) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.set_args({"/bin/sh", "-c", "ls /bin/busybox && echo ok"});
  b.write();
  auto r = rt({"run", "--no-pivot", "--bundle", b.path(), rt.unique_id("nopivot")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("ok"), std::string::npos);
}

TEST(Container, TmpcopyupFillsTheTmpfsFromTheRootfs) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  // podman --read-only asks for this: a read-only root with writable tmpfs dirs that keep their files.
  b.config["root"]["readonly"] = true;
  b.config["mounts"].push_back({{"destination", "/etc"},
                                {"type", "tmpfs"},
                                {"source", "tmpfs"},
                                {"options", {"rw", "nosuid", "nodev", "tmpcopyup"}}});
  auto r = run_sh(rt, b,
                  "grep -c '^root:' /etc/passwd; stat -c '%a %u' /etc; grep ' /etc ' /proc/self/mountinfo | "
                  "cut -d' ' -f9; echo new > /etc/skiff-new && cat /etc/skiff-new");
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  struct stat host_etc;
  ASSERT_EQ(stat((fixture_rootfs() + "/etc").c_str(), &host_etc), 0);
  char mode_owner[64];
  snprintf(mode_owner, sizeof mode_owner, "%o %u", host_etc.st_mode & 07777, host_etc.st_uid);
  EXPECT_EQ(r.out, std::string("1\n") + mode_owner + "\ntmpfs\nnew\n");
  // The write went to the tmpfs, not to the rootfs.
  EXPECT_NE(access((fixture_rootfs() + "/etc/skiff-new").c_str(), F_OK), 0);
}

TEST(Container, TmpcopyupOnlyForTmpfs) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["mounts"].push_back(
      {{"destination", "/mnt"}, {"type", "bind"}, {"source", "/tmp"}, {"options", {"rbind", "tmpcopyup"}}});
  auto r = run_sh(rt, b, "true");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("tmpcopyup needs a tmpfs mount"), std::string::npos) << r.err;
}

// Escape guards (CVE-2021-30465 and kin): paths the container controls cannot move mounts or writes
// out of its root.

TEST(Escape, SymlinkedMountDestinationStaysInsideTheRootfs) {
  REQUIRE_ROOT();
  // A private rootfs copy: the test plants a symlink in it.
  TempDir copy("skiff-rootfs");
  ASSERT_EQ(run_command({"/bin/cp", "-a", fixture_rootfs() + "/.", copy.path()}).status, 0);
  TempDir host("skiff-host-target");
  // "/escape" -> "../../../../../../<host dir>/inner": followed naively from the host it leaves the
  // rootfs; resolved in the root, ".." stops at "/".
  std::string host_rel = host.path().substr(1);
  // The same path exists inside the copy, so the symlink resolves both ways: the test sees which one.
  ASSERT_EQ(run_command({"/bin/mkdir", "-p", copy.path() + "/" + host_rel + "/inner"}).status, 0);
  ASSERT_EQ(symlink(("../../../../../../" + host_rel + "/inner").c_str(), (copy.path() + "/escape").c_str()),
            0);
  Runtime rt;
  Bundle b;
  b.config["root"]["path"] = copy.path();
  b.config["mounts"].push_back(
      {{"destination", "/escape"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"rw", "size=1m"}}});
  auto r = run_sh(rt, b, "echo hi > /escape/marker && stat -f -c %T /escape/");
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_EQ(r.out, "tmpfs\n");
  // Followed from the host, the symlink names <host dir>/inner, which does not exist there: a runtime
  // resolving it outside the root would have created it there (or failed).
  struct stat st;
  EXPECT_NE(stat((host.path() + "/inner").c_str(), &st), 0) << "mount point made on the host";
}

TEST(Escape, MaskedPathsWinOverLaterMounts) {
  REQUIRE_ROOT();
  // Masking runs after every spec mount: a bind onto a masked path cannot uncover it.
  TempDir host("skiff-host-secret");
  std::ofstream(host.path() + "/secret") << "host data\n";
  Runtime rt;
  Bundle b;
  b.config["linux"]["maskedPaths"].push_back("/mnt/masked");
  b.config["mounts"].push_back({{"destination", "/mnt/masked"},
                                {"type", "bind"},
                                {"source", host.path()},
                                {"options", {"rbind", "ro"}}});
  auto r = run_sh(rt, b, "ls -A /mnt/masked | wc -l; cat /mnt/masked/secret 2>&1 || echo UNREADABLE");
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_EQ(r.out.find("host data"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0\n"), std::string::npos) << r.out;
}

TEST(Escape, SysctlRefusesAProcSysThatIsNotProcfs) {
  REQUIRE_ROOT();
  // A spec mount over /proc/sys must not turn sysctl writes into writes somewhere else.
  Runtime rt;
  Bundle b;
  b.config["mounts"].push_back(
      {{"destination", "/proc/sys"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"rw"}}});
  b.config["linux"]["sysctl"] = {{"kernel.domainname", "skiff.test"}};
  auto r = run_sh(rt, b, "true");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("not procfs"), std::string::npos) << r.err;
}
