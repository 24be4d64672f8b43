// seccomp in real containers: the errno a blocked syscall returns inside, kill actions, argument
// conditions, the filter on `exec`, a notify listener that answers, and bad profiles as clear errors.
#include <gtest/gtest.h>

#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <algorithm>

#include <atomic>
#include <csignal>
#include <cstring>
#include <thread>

#include "harness.hpp"
#include "seccomp.hpp"
#include "seccomp_default.hpp"

using namespace skiff::test;
using nlohmann::json;

namespace {

// One connection from the runtime to a seccomp agent: the container state JSON and the notify fd.
struct ListenerMessage {
  std::string state;
  int fd = -1;
};

ListenerMessage receive_from_runtime(int lsock) {
  ListenerMessage m;
  int c = accept4(lsock, nullptr, nullptr, SOCK_CLOEXEC);
  if (c < 0) return m;
  char buf[8192];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  iovec iov = {buf, sizeof buf};
  msghdr mh = {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  ssize_t n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
  if (cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm && cm->cmsg_type == SCM_RIGHTS)
    memcpy(&m.fd, CMSG_DATA(cm), sizeof m.fd);
  if (n > 0) m.state.assign(buf, static_cast<size_t>(n));
  for (;;) {  // the rest of the JSON, if it came in pieces, until the runtime closes
    ssize_t k = read(c, buf, sizeof buf);
    if (k <= 0) break;
    m.state.append(buf, static_cast<size_t>(k));
  }
  close(c);
  return m;
}

// Answers every notification on fd with success (the syscall is not done) until no task is left.
void answer_all(int fd, std::atomic<int>& answered) {
  for (;;) {
    seccomp_notif req = {};
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) break;  // container gone
    seccomp_notif_resp resp = {};
    resp.id = req.id;
    ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    ++answered;
  }
  close(fd);
}

int listen_on(const std::string& path) {
  int lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (bind(lsock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || listen(lsock, 2) < 0) {
    close(lsock);
    return -1;
  }
  return lsock;
}

bool contains_name(const json& names, const std::string& n) {
  return std::find(names.begin(), names.end(), n) != names.end();
}

json allow_but(const json& rules) {
  return {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", rules}};
}

}  // namespace

TEST(Seccomp, ErrnoActionReturnsTheAskedErrnoInside) {
  REQUIRE_ROOT();
  Runtime rt;
  for (bool nnp : {true, false}) {  // both load points: after no_new_privs, and before the caps drop
    Bundle b;
    b.config["process"]["noNewPrivileges"] = nnp;
    b.config["linux"]["seccomp"] =
        allow_but({{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", ENOTSUP}},
                   {{"names", {"rmdir"}}, {"action", "SCMP_ACT_ERRNO"}}});
    auto r = run_sh(rt, b,
                    "mkdir /dev/shm/x 2>&1; echo rc=$?; rmdir /tmp 2>&1; touch /dev/shm/ok && echo touched");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find(strerror(ENOTSUP)), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Operation not permitted"), std::string::npos) << r.out;  // default errnoRet: EPERM
    EXPECT_NE(r.out.find("touched"), std::string::npos) << r.out;
  }
}

TEST(Seccomp, KillActionKillsTheContainerProcess) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["linux"]["seccomp"] = allow_but({{{"names", {"uname"}}, {"action", "SCMP_ACT_KILL_PROCESS"}}});
  auto r = run_sh(rt, b, "echo before; uname; echo after");
  EXPECT_EQ(r.status, 128 + SIGSYS) << r.out << r.err;
  EXPECT_EQ(r.out.find("after"), std::string::npos) << r.out;
}

TEST(Seccomp, ArgumentConditions) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  // chmod to 0777 is refused; any other mode is fine.
  b.config["linux"]["seccomp"] =
      allow_but({{{"names", {"chmod"}},
                  {"action", "SCMP_ACT_ERRNO"},
                  {"errnoRet", EACCES},
                  {"args", {{{"index", 1}, {"value", 0777}, {"op", "SCMP_CMP_EQ"}}}}},
                 {{"names", {"fchmodat"}},
                  {"action", "SCMP_ACT_ERRNO"},
                  {"errnoRet", EACCES},
                  {"args", {{{"index", 2}, {"value", 0777}, {"op", "SCMP_CMP_EQ"}}}}}});
  auto r = run_sh(
      rt, b,
      "touch /dev/shm/f; chmod 755 /dev/shm/f && echo c755; chmod 777 /dev/shm/f 2>&1 || echo refused");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("c755"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("refused"), std::string::npos) << r.out;
}

TEST(Seccomp, ExecProcessesGetTheFilter) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["linux"]["seccomp"] =
      allow_but({{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", EXDEV}}});
  b.set_args({"/bin/sh", "-c", "sleep 30"});
  b.write();
  std::string id = rt.unique_id("exec");
  ASSERT_EQ(rt({"run", "--detach", "--bundle", b.path(), id}).status, 0);
  auto r = rt({"exec", id, "/bin/sh", "-c", "mkdir /dev/shm/y 2>&1; echo rc=$?"});
  EXPECT_NE(r.out.find(strerror(EXDEV)), std::string::npos) << r.out << r.err;
  rt({"kill", id, "KILL"});
}

TEST(Seccomp, UnknownSyscallsAreSkippedAndListedWithDebug) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["linux"]["seccomp"] = allow_but({{{"names", {"skiff_no_such_syscall", "mkdir", "mkdirat"}},
                                             {"action", "SCMP_ACT_ERRNO"},
                                             {"errnoRet", EXDEV}}});
  auto r = run_sh(rt, b, "mkdir /dev/shm/z 2>&1", {"--debug"});
  EXPECT_NE(r.out.find(strerror(EXDEV)), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("skiff_no_such_syscall"), std::string::npos) << r.err;
}

TEST(Seccomp, BadProfilesAreOneLineErrorsLeavingNothing) {
  REQUIRE_ROOT();
  Runtime rt;
  struct Case {
    json profile;
    const char* says;
  };
  const Case cases[] = {
      {allow_but({{{"names", {"mkdir"}}, {"action", "SCMP_ACT_MAYBE"}}}),
       "unknown action \"SCMP_ACT_MAYBE\""},
      {allow_but({{{"names", {"mkdir"}},
                   {"action", "SCMP_ACT_ERRNO"},
                   {"args", {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_SORTA"}}}}}}),
       "unknown operator \"SCMP_CMP_SORTA\""},
      {{{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_VAX"}}}, "unknown architecture"},
  };
  for (const auto& c : cases) {
    Bundle b;
    b.config["linux"]["seccomp"] = c.profile;
    b.write();
    std::string id = rt.unique_id("bad");
    auto r = rt({"create", "--bundle", b.path(), id});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    struct stat st;
    EXPECT_NE(stat((rt.root() + "/" + id).c_str(), &st), 0) << "state dir left behind";
  }
}

TEST(Seccomp, NotifyListenerReceivesTheFdAndAnswers) {
  REQUIRE_ROOT();
  Runtime rt;
  TempDir sockdir("skiff-listener");
  std::string path = sockdir.path() + "/agent.sock";
  int lsock = listen_on(path);
  ASSERT_GE(lsock, 0) << path;

  // The agent: takes the state and fd, then answers every mkdir with success without doing it.
  std::string received;
  std::atomic<int> answered{0};
  std::thread agent([&] {
    ListenerMessage m = receive_from_runtime(lsock);
    received = m.state;
    if (m.fd >= 0) answer_all(m.fd, answered);
  });

  Bundle b;
  b.config["annotations"] = {{"test", "notify"}};
  b.config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"listenerPath", path},
      {"listenerMetadata", "agent-metadata"},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
  std::string id = rt.unique_id("notify");
  b.set_args({"/bin/sh", "-c",
              "mkdir /dev/shm/faked; echo rc=$?; test -d /dev/shm/faked && echo exists || echo absent"});
  b.write();
  auto r = rt({"run", "--bundle", b.path(), id});
  agent.join();
  close(lsock);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("rc=0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("absent"), std::string::npos) << r.out;  // the agent answered; nothing was made
  EXPECT_GE(answered.load(), 1);
  json st = json::parse(received);
  EXPECT_EQ(st["fds"], json::array({"seccompFd"}));
  EXPECT_EQ(st["metadata"], "agent-metadata");
  EXPECT_GT(st["pid"].get<int>(), 0);
  EXPECT_EQ(st["state"]["id"], id);
  EXPECT_EQ(st["state"]["status"], "creating");
  EXPECT_EQ(st["state"]["pid"], st["pid"]);
  EXPECT_EQ(st["state"]["annotations"]["test"], "notify");
  EXPECT_TRUE(st.contains("ociVersion"));
}

TEST(Seccomp, NotifyListenerGetsAnExecdProcessToo) {
  REQUIRE_ROOT();
  Runtime rt;
  TempDir sockdir("skiff-listener");
  std::string path = sockdir.path() + "/agent.sock";
  int lsock = listen_on(path);
  ASSERT_GE(lsock, 0) << path;
  // First the init's connection (kept, never used: the init does not mkdir), then the exec's.
  ListenerMessage from_init, from_exec;
  std::atomic<int> answered{0};
  std::thread agent([&] {
    from_init = receive_from_runtime(lsock);
    from_exec = receive_from_runtime(lsock);
    if (from_exec.fd >= 0) answer_all(from_exec.fd, answered);
  });
  Bundle b;
  b.config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"listenerPath", path},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
  b.set_args({"sleep", "30"});
  b.write();
  std::string id = rt.unique_id("notifyexec");
  auto c = rt({"run", "-d", "--bundle", b.path(), id});
  std::string init_pid;
  if (c.status == 0) init_pid = std::to_string(json::parse(rt({"state", id}).out)["pid"].get<int>());
  auto e = rt({"exec", id, "/bin/sh", "-c",
               "mkdir /dev/shm/faked; echo rc=$?; test -d /dev/shm/faked && echo exists || echo absent"});
  rt({"delete", "--force", id});
  shutdown(lsock, SHUT_RDWR);  // an agent still waiting for a connection gives up (accept fails)
  agent.join();
  close(lsock);
  if (from_init.fd >= 0) close(from_init.fd);
  ASSERT_EQ(c.status, 0) << c.err;
  ASSERT_EQ(e.status, 0) << e.err;
  EXPECT_NE(e.out.find("rc=0"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("absent"), std::string::npos) << e.out;  // answered by the agent, not done
  EXPECT_GE(answered.load(), 1);
  ASSERT_FALSE(from_exec.state.empty());
  json st = json::parse(from_exec.state);
  EXPECT_EQ(st["fds"], json::array({"seccompFd"}));
  EXPECT_EQ(st["state"]["id"], id);
  EXPECT_EQ(st["state"]["status"], "running");
  EXPECT_EQ(std::to_string(st["state"]["pid"].get<int>()), init_pid);  // the container's init
  EXPECT_NE(std::to_string(st["pid"].get<int>()), init_pid);           // the exec'd process
}

TEST(Seccomp, NotifyWithoutAListenerFailsCleanly) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                  {"listenerPath", "/nonexistent/skiff-agent.sock"},
                                  {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
  b.write();
  std::string id = rt.unique_id("nolistener");
  size_t mounts = mount_count();
  auto r = rt({"create", "--bundle", b.path(), id});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("connect to listener"), std::string::npos) << r.err;
  struct stat st;
  EXPECT_NE(stat((rt.root() + "/" + id).c_str(), &st), 0);
  EXPECT_EQ(mount_count(), mounts);
}

TEST(SeccompDefaultProfile, TheWallHolds) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  auto caps = b.config["process"]["capabilities"]["bounding"].get<std::vector<std::string>>();
  b.config["linux"]["seccomp"] = skiff::seccomp::default_profile(caps);
  std::string host_pid = std::to_string(getpid());
  auto r =
      run_sh(rt, b,
             "for op in mount unshare-user keyctl module raw-socket sysrq clock; do sk-syscall $op; done; "
             "sk-syscall ptrace " +
                 host_pid +
                 "; echo procs=$(ls /proc | grep -c '^[0-9]'); "
                 "echo hello > /dev/shm/ok && cat /dev/shm/ok");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* op :
       {"mount", "unshare-user", "keyctl", "module", "raw-socket", "sysrq", "clock", "ptrace"}) {
    EXPECT_NE(r.out.find(std::string(op) + ": "), std::string::npos) << op << "\n" << r.out;
    EXPECT_EQ(r.out.find(std::string(op) + ": ok"), std::string::npos) << op << " succeeded\n" << r.out;
  }
  // The seccomp profile itself refuses these (EPERM from the filter, not a missing capability alone).
  EXPECT_NE(r.out.find("keyctl: Operation not permitted"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unshare-user: Operation not permitted"), std::string::npos) << r.out;
  // sh, ls, grep and the subshell: only the container's own processes.
  auto procs = r.out.find("procs=");
  ASSERT_NE(procs, std::string::npos);
  EXPECT_LE(std::stoi(r.out.substr(procs + 6)), 4) << r.out;
  EXPECT_NE(r.out.find("hello"), std::string::npos) << "ordinary work must still run\n" << r.out;
}

TEST(SeccompDefaultProfile, CapabilityGates) {
  auto has = [](const json& prof, const std::string& name) {
    for (const auto& rule : prof["syscalls"])
      if (rule["action"] == "SCMP_ACT_ALLOW" && !rule.contains("args") && contains_name(rule["names"], name))
        return true;
    return false;
  };
  json base = skiff::seccomp::default_profile({"CAP_KILL"});
  json admin = skiff::seccomp::default_profile({"CAP_KILL", "CAP_SYS_ADMIN", "CAP_SYS_TIME"});
  EXPECT_FALSE(has(base, "mount"));
  EXPECT_TRUE(has(admin, "mount"));
  EXPECT_FALSE(has(base, "clock_settime"));
  EXPECT_TRUE(has(admin, "clock_settime"));
  EXPECT_TRUE(has(base, "read"));
  // clone is allowed only without namespace flags unless CAP_SYS_ADMIN; clone3 then says ENOSYS.
  bool clone_masked = false, clone3_enosys = false;
  for (const auto& rule : base["syscalls"]) {
    if (contains_name(rule["names"], "clone") && rule.contains("args")) clone_masked = true;
    if (contains_name(rule["names"], "clone3") && rule["action"] == "SCMP_ACT_ERRNO" &&
        rule["errnoRet"] == ENOSYS)
      clone3_enosys = true;
  }
  EXPECT_TRUE(clone_masked);
  EXPECT_TRUE(clone3_enosys);
  EXPECT_TRUE(base["architectures"].is_array());
  // It is a valid OCI section: the parser takes it.
  EXPECT_NO_THROW(skiff::seccomp::parse_profile(base));
}

TEST(SeccompFeatures, ListsWhatThisBuildAccepts) {
  Runtime rt;
  auto r = rt({"features"});
  ASSERT_EQ(r.status, 0) << r.err;
  json sc = json::parse(r.out)["linux"]["seccomp"];
  EXPECT_EQ(sc["enabled"], true);
  EXPECT_TRUE(contains_name(sc["actions"], "SCMP_ACT_NOTIFY"));
  EXPECT_TRUE(contains_name(sc["actions"], "SCMP_ACT_KILL_PROCESS"));
  EXPECT_TRUE(contains_name(sc["operators"], "SCMP_CMP_MASKED_EQ"));
  EXPECT_TRUE(contains_name(sc["archs"], "SCMP_ARCH_X86_64"));
  EXPECT_TRUE(contains_name(sc["knownFlags"], "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));
  // Every supported flag is a known one, and this kernel (6.x) has at least TSYNC and LOG.
  for (const auto& f : sc["supportedFlags"]) EXPECT_TRUE(contains_name(sc["knownFlags"], f)) << f;
  EXPECT_TRUE(contains_name(sc["supportedFlags"], "SECCOMP_FILTER_FLAG_TSYNC"));
}
