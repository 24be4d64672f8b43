// The lifecycle commands on real containers: create/start/state/kill/delete, exec, hooks, console
// socket, joining namespaces, and that nothing is left behind.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

#include "console.hpp"
#include "harness.hpp"
#include "unique_fd.hpp"

using namespace skiff::test;
using nlohmann::json;

namespace {

json state_of(Runtime& rt, const std::string& id) {
  auto r = rt({"state", id});
  EXPECT_EQ(r.status, 0) << r.err;
  return json::parse(r.out.empty() ? "{}" : r.out);
}

bool wait_status(Runtime& rt, const std::string& id, const std::string& want, int ms = 5000) {
  for (int i = 0; i < ms / 20; ++i) {
    auto r = rt({"state", id});
    if (r.status == 0 && json::parse(r.out)["status"] == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string read_all(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

TEST(Lifecycle, CreateStartStateKillDelete) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.set_args({"/bin/sleep", "1000"});
  b.config["annotations"] = {{"org.skiff.test", "yes"}};
  b.write();
  std::string id = rt.unique_id("life");
  TempDir piddir;
  std::string pidfile = piddir.path() + "/init.pid";
  auto r = rt({"create", "--bundle", b.path(), "--pid-file", pidfile, id});
  ASSERT_EQ(r.status, 0) << r.err;
  json st = state_of(rt, id);
  EXPECT_EQ(st["status"], "created");
  EXPECT_EQ(st["id"], id);
  EXPECT_EQ(st["bundle"], b.path());
  EXPECT_EQ(st["annotations"]["org.skiff.test"], "yes");
  int pid = st["pid"];
  EXPECT_GT(pid, 0);
  EXPECT_EQ(read_all(pidfile), std::to_string(pid));
  // RFC3339 with nanoseconds.
  std::string created = st["created"];
  EXPECT_EQ(created.size(), 30u) << created;
  // Before start the user program has not run: the init is still the runtime's code.
  EXPECT_EQ(read_all("/proc/" + std::to_string(pid) + "/comm").find("sleep"), std::string::npos);

  ASSERT_EQ(rt({"start", id}).status, 0);
  EXPECT_TRUE(wait_status(rt, id, "running"));
  r = rt({"start", id});
  EXPECT_EQ(r.status, 1);
  // Delete refuses a running container without --force.
  r = rt({"delete", id});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("running"), std::string::npos) << r.err;

  r = rt({"ps", "--format", "json", id});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), json::array({pid}));

  ASSERT_EQ(rt({"kill", id, "KILL"}).status, 0);
  EXPECT_TRUE(wait_status(rt, id, "stopped"));
  r = rt({"kill", id, "TERM"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("container not running"), std::string::npos) << r.err;
  ASSERT_EQ(rt({"delete", id}).status, 0);
  r = rt({"state", id});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("container does not exist"), std::string::npos) << r.err;
  struct stat sb;
  EXPECT_NE(stat((rt.root() + "/" + id).c_str(), &sb), 0) << "state dir left behind";
}

TEST(Lifecycle, KillBySignalNameAndNumber) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  // The shell traps USR1 and exits 42: the signal must reach pid 1 with a handler installed.
  b.set_args({"/bin/sh", "-c", "trap 'exit 42' USR1; echo ready; while :; do sleep 0.05; done"});
  b.write();
  std::string id = rt.unique_id("kill");
  ASSERT_EQ(rt({"run", "--detach", "--bundle", b.path(), id}).status, 0);
  EXPECT_TRUE(wait_status(rt, id, "running"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(rt({"kill", id, "10"}).status, 0);  // SIGUSR1
  EXPECT_TRUE(wait_status(rt, id, "stopped"));
  auto r = rt({"kill", id, "SIGNOPE"});
  EXPECT_EQ(r.status, 1);
  ASSERT_EQ(rt({"delete", id}).status, 0);
}

TEST(Lifecycle, DeleteForceKillsARunningContainer) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.set_args({"/bin/sleep", "1000"});
  b.write();
  std::string id = rt.unique_id("force");
  ASSERT_EQ(rt({"run", "-d", "--bundle", b.path(), id}).status, 0);
  int pid = state_of(rt, id)["pid"];
  ASSERT_EQ(rt({"delete", "--force", id}).status, 0);
  for (int i = 0; i < 100 && access(("/proc/" + std::to_string(pid) + "/comm").c_str(), F_OK) == 0; ++i) {
    // The process is gone, or a zombie waiting for its reaper (init here): either way not running.
    if (read_all("/proc/" + std::to_string(pid) + "/stat").find(") Z") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string stat = read_all("/proc/" + std::to_string(pid) + "/stat");
  EXPECT_TRUE(stat.empty() || stat.find(") Z") != std::string::npos) << stat;
}

TEST(Lifecycle, ExecJoinsEveryNamespace) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.set_args({"/bin/sleep", "1000"});
  b.config["process"]["env"] = {"PATH=/bin", "FROM_CONFIG=1"};
  b.write();
  std::string id = rt.unique_id("exec");
  ASSERT_EQ(rt({"run", "-d", "--bundle", b.path(), id}).status, 0);
  int pid = state_of(rt, id)["pid"];
  std::string expect;
  for (const char* n : {"pid", "net", "ipc", "uts", "mnt"}) {
    char buf[256] = {};
    readlink(("/proc/" + std::to_string(pid) + "/ns/" + n).c_str(), buf, sizeof buf - 1);
    expect += std::string(buf) + "\n";
  }
  auto r =
      rt({"exec", id, "/bin/sh", "-c",
          "for n in pid net ipc uts mnt; do readlink /proc/self/ns/$n; done; echo env=$FROM_CONFIG$EXTRA"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, expect + "env=1\n");
  // Flags go to the runtime before the ID, to the command after it; exit status comes back.
  r = rt({"exec", "--env", "EXTRA=2", "--cwd", "/proc", "--user", "1000:1000", id, "/bin/sh", "-c",
          "echo $EXTRA $(pwd) $(id -u):$(id -g); exit 7"});
  EXPECT_EQ(r.status, 7) << r.err;
  EXPECT_EQ(r.out, "2 /proc 1000:1000\n");
  // --process with a JSON file, detached with a pid file.
  TempDir d;
  std::ofstream(d.path() + "/p.json") << json{
      {"args", {"/bin/sleep", "100"}},
      {"cwd", "/"},
      {"env", {"A=1"}},
      {"user", {{"uid", 0}, {"gid", 0}}}}.dump();
  r = rt({"exec", "--process", d.path() + "/p.json", "--detach", "--pid-file", d.path() + "/exec.pid", id});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string epid = read_all(d.path() + "/exec.pid");
  ASSERT_FALSE(epid.empty());
  r = rt({"ps", "--format", "json", id});
  auto pids = json::parse(r.out);
  EXPECT_EQ(pids.size(), 2u) << r.out;
  EXPECT_NE(std::find(pids.begin(), pids.end(), std::stoi(epid)), pids.end());
  r = rt({"exec", id, "/nonexistent"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("/nonexistent"), std::string::npos) << r.err;
  ASSERT_EQ(rt({"delete", "-f", id}).status, 0);
}

TEST(Lifecycle, JoinNamespaceByPath) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle a;
  a.set_args({"/bin/sleep", "1000"});
  a.write();
  std::string ida = rt.unique_id("joina");
  ASSERT_EQ(rt({"run", "-d", "--bundle", a.path(), ida}).status, 0);
  int pid = state_of(rt, ida)["pid"];
  Bundle b;
  for (auto& ns : b.config["linux"]["namespaces"])
    if (ns["type"] == "network" || ns["type"] == "ipc")
      ns["path"] = "/proc/" + std::to_string(pid) + "/ns/" + (ns["type"] == "network" ? "net" : "ipc");
  b.set_args({"/bin/sh", "-c", "readlink /proc/self/ns/net; readlink /proc/self/ns/ipc"});
  b.write();
  auto r = rt({"run", "--bundle", b.path(), rt.unique_id("joinb")});
  ASSERT_EQ(r.status, 0) << r.err;
  char net[256] = {}, ipc[256] = {};
  readlink(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), net, sizeof net - 1);
  readlink(("/proc/" + std::to_string(pid) + "/ns/ipc").c_str(), ipc, sizeof ipc - 1);
  EXPECT_EQ(r.out, std::string(net) + "\n" + ipc + "\n");
  // A path that is not that kind of namespace is refused.
  Bundle c;
  for (auto& ns : c.config["linux"]["namespaces"])
    if (ns["type"] == "network") ns["path"] = "/proc/" + std::to_string(pid) + "/ns/ipc";
  c.write();
  r = rt({"run", "--bundle", c.path(), rt.unique_id("joinc")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("is not a network namespace"), std::string::npos) << r.err;
  ASSERT_EQ(rt({"delete", "-f", ida}).status, 0);
}

TEST(Lifecycle, HooksRunInOrderWithState) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  TempDir d;
  std::string log = d.path() + "/hooks.log";
  auto hook = [&](const std::string& name) {
    // Each hook appends its name and the id and status it read on stdin.
    return json{{"path", "/bin/sh"}, {"args", {"sh", "-c", "read s; echo \"" + name + " $s\" >> " + log}}};
  };
  b.config["hooks"] = {{"prestart", {hook("prestart")}},
                       {"createRuntime", {hook("createRuntime")}},
                       {"createContainer", {hook("createContainer")}},
                       {"startContainer", {hook("startContainer")}},
                       {"poststart", {hook("poststart")}},
                       {"poststop", {hook("poststop")}}};
  // startContainer runs inside the container: its /bin/sh is busybox, and the log path must exist there.
  b.config["mounts"].push_back(
      {{"destination", d.path()}, {"type", "bind"}, {"source", d.path()}, {"options", {"rbind", "rw"}}});
  b.set_args({"/bin/true"});
  b.write();
  std::string id = rt.unique_id("hooks");
  ASSERT_EQ(rt({"create", "--bundle", b.path(), id}).status, 0) << read_all(log);
  ASSERT_EQ(rt({"start", id}).status, 0);
  EXPECT_TRUE(wait_status(rt, id, "stopped"));
  ASSERT_EQ(rt({"delete", id}).status, 0);
  std::ifstream f(log);
  std::vector<std::string> order;
  std::string line;
  while (std::getline(f, line)) {
    auto sp = line.find(' ');
    order.push_back(line.substr(0, sp));
    json s = json::parse(line.substr(sp + 1));
    EXPECT_EQ(s["id"], id) << line;
    // As runc: once the container has stopped, its state carries no pid (0).
    if (order.back() == "poststop") {
      EXPECT_EQ(s.value("pid", 0), 0) << line;
    } else {
      EXPECT_GT(s["pid"].get<int>(), 0) << line;
    }
    EXPECT_EQ(s["bundle"], b.path());
  }
  std::vector<std::string> want = {"prestart",       "createRuntime", "createContainer",
                                   "startContainer", "poststart",     "poststop"};
  EXPECT_EQ(order, want);
}

TEST(Lifecycle, FailingCreateRuntimeHookFailsCreateAndCleansUp) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.config["hooks"] = {{"createRuntime", {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "exit 4"}}}}}};
  b.write();
  size_t mounts = mount_count();
  std::string id = rt.unique_id("badhook");
  auto r = rt({"create", "--bundle", b.path(), id});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("exit status 4"), std::string::npos) << r.err;
  EXPECT_EQ(rt({"state", id}).status, 1);
  EXPECT_EQ(mount_count(), mounts);
}

TEST(Lifecycle, PtyOnTheConsoleSocket) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.set_args({"/bin/sh", "-c", "tty; stty size"});
  b.config["process"]["terminal"] = true;
  b.config["process"]["consoleSize"] = {{"height", 33}, {"width", 101}};
  b.write();
  TempDir d;
  std::string sock = d.path() + "/console.sock";
  skiff::UniqueFd ls(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, sock.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(bind(ls.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(ls.get(), 1), 0);
  std::string id = rt.unique_id("tty");
  skiff::UniqueFd master;
  std::thread acceptor([&] {
    skiff::UniqueFd c(accept4(ls.get(), nullptr, nullptr, SOCK_CLOEXEC));
    std::string name;
    if (c) master = skiff::recv_fd(c.get(), &name);
  });
  auto r = rt({"create", "--console-socket", sock, "--bundle", b.path(), id});
  acceptor.join();
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(master);
  ASSERT_EQ(rt({"start", id}).status, 0);
  std::string out;
  char buf[256];
  for (int i = 0; i < 100; ++i) {
    ssize_t n = read(master.get(), buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.find("101") != std::string::npos) break;
  }
  EXPECT_NE(out.find("/dev/pts/"), std::string::npos) << out;
  EXPECT_NE(out.find("33 101"), std::string::npos) << out;
  EXPECT_TRUE(wait_status(rt, id, "stopped"));
  EXPECT_EQ(rt({"delete", id}).status, 0);
}

TEST(Lifecycle, TwoCreatesOfOneIdOneWins) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.set_args({"/bin/sleep", "1000"});
  b.write();
  std::string id = rt.unique_id("dup");
  Result r1, r2;
  std::thread t1([&] { r1 = rt({"create", "--bundle", b.path(), id}); });
  std::thread t2([&] { r2 = rt({"create", "--bundle", b.path(), id}); });
  t1.join();
  t2.join();
  EXPECT_EQ((r1.status == 0) + (r2.status == 0), 1) << r1.err << r2.err;
  const std::string& loser = r1.status ? r1.err : r2.err;
  EXPECT_NE(loser.find("already exists"), std::string::npos) << loser;
  EXPECT_EQ(rt({"delete", "--force", id}).status, 0);
}

TEST(Lifecycle, ListShowsContainers) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.set_args({"/bin/sleep", "1000"});
  b.write();
  std::string id = rt.unique_id("list");
  ASSERT_EQ(rt({"create", "--bundle", b.path(), id}).status, 0);
  auto r = rt({"list", "--format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto arr = json::parse(r.out);
  ASSERT_EQ(arr.size(), 1u);
  EXPECT_EQ(arr[0]["id"], id);
  EXPECT_EQ(arr[0]["status"], "created");
  r = rt({"list", "-q"});
  EXPECT_EQ(r.out, id + "\n");
  r = rt({"list"});
  EXPECT_NE(r.out.find("ID"), std::string::npos);
  EXPECT_NE(r.out.find(id), std::string::npos);
  EXPECT_EQ(rt({"delete", id}).status, 0);
}

TEST(Lifecycle, JsonErrorLog) {
  REQUIRE_ROOT();
  Runtime rt;
  TempDir d;
  std::string log = d.path() + "/log.json";
  auto r = rt({"--log", log, "--log-format", "json", "state", "no-such-container"});
  EXPECT_EQ(r.status, 1);
  auto line = read_all(log);
  json j = json::parse(line.substr(0, line.find('\n')));
  EXPECT_EQ(j["level"], "error");
  EXPECT_NE(j["msg"].get<std::string>().find("container does not exist"), std::string::npos);
  EXPECT_TRUE(j.contains("time"));
}

TEST(Lifecycle, GoStyleSingleDashFlags) {
  REQUIRE_ROOT();
  Bundle b;
  b.set_args({"/bin/true"});
  b.write();
  TempDir root;
  auto r =
      run_command({runtime_binary(), "-root", root.path(), "run", "-bundle", b.path(), "go-style-flags"});
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST(Lifecycle, TwoHundredCyclesLeaveNothing) {
  REQUIRE_ROOT();
  Runtime rt;
  Bundle b;
  b.set_args({"/bin/true"});
  b.write();
  size_t mounts = mount_count(), fds = fd_count();
  for (int i = 0; i < 200; ++i) {
    std::string id = "cycle-" + std::to_string(getpid()) + "-" + std::to_string(i);
    ASSERT_EQ(rt({"create", "--bundle", b.path(), id}).status, 0) << i;
    ASSERT_EQ(rt({"start", id}).status, 0) << i;
    auto r = rt({"delete", "--force", id});
    ASSERT_EQ(r.status, 0) << i << r.err;
  }
  EXPECT_EQ(mount_count(), mounts);
  EXPECT_EQ(fd_count(), fds);
  auto r = rt({"list", "-q"});
  EXPECT_EQ(r.out, "");
}

TEST(Lifecycle, ForegroundRunDoesNotBlockOtherCommands) {
  REQUIRE_ROOT();
  // A foreground `run` waits for its container; `state` and `delete --force` from elsewhere must not
  // wait for it (they blocked on the state lock before), and the run then ends with the kill's status.
  Runtime rt;
  Bundle b;
  b.set_args({"/usr/local/bin/sk-pause"});
  b.write();
  std::string id = rt.unique_id("fg");
  Result run;
  std::thread fg([&] { run = rt({"run", "--bundle", b.path(), id}, "", 30); });
  bool up = wait_status(rt, id, "running", 10000);
  EXPECT_TRUE(up);
  auto del = rt({"delete", "--force", id}, "", 10);
  fg.join();
  EXPECT_EQ(del.status, 0) << del.err;
  EXPECT_EQ(run.status, 128 + SIGKILL) << run.err;
  auto list = rt({"list", "-q"});
  EXPECT_EQ(list.out, "") << "left behind: " << list.out;
}
