// Stage 3 and `skiff run`: an image pulled from a real registry on loopback, containers made from it as
// overlays of the shared layers, run by the real `skiff` binary (which links the runtime library).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "bundle_builder.hpp"
#include "container_rootfs.hpp"
#include "digest.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "puller.hpp"
#include "reference_index.hpp"
#include "registry_fixture.hpp"
#include "store_gc.hpp"

namespace skiff::image {
namespace {

using test::Registry;
using test::TempDir;

class ContainerRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::registry_unavailable_reason().empty()) return;
    shared_ = new Shared();
    shared_->layout_error =
        test::build_fixture_layout(shared_->dir / "layout", "v1", shared_->dir / "scratch");
    if (!shared_->layout_error.empty()) return;
    shared_->reg = std::make_unique<Registry>();
    shared_->layout_error = shared_->reg->push(shared_->dir / "layout", "v1", "fixture/busybox:v1");
  }
  static void TearDownTestSuite() {
    delete shared_;
    shared_ = nullptr;
  }
  void SetUp() override {
    if (auto why = test::registry_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_EQ(shared_->layout_error, "");
    ::setenv("SKIFF_AUTH_FILE", (tmp_ / "none.json").c_str(), 1);
  }
  void TearDown() override {
    // A failed test may leave containers running: kill and remove them (mounts, cgroups) by id.
    if (!shared_ || !shared_->reg) return;
    std::string ids;
    skiff("ps -a -q", &ids);
    for (auto& c : ids)
      if (c == '\n') c = ' ';
    if (ids.find_first_not_of(' ') != std::string::npos) skiff("rm -f " + ids);
  }
  std::string image_ref() { return shared_->reg->host() + "/fixture/busybox:v1"; }
  StorePaths paths() { return StorePaths{tmp_ / "store"}; }
  // Runs the skiff binary with the test's store and runtime state root.
  int skiff(const std::string& args, std::string* out = nullptr) {
    std::string cmd = "SKIFF_IMAGE_STORE=" + tmp_ / "store" + " SKIFF_RUNTIME_ROOT=" + tmp_ / "state" + " " +
                      SKIFF_BINARY + " " + args;
    return test::run(cmd + " </dev/null", out);
  }

  struct Shared {
    TempDir dir;
    std::unique_ptr<Registry> reg;
    std::string layout_error;
  };
  static inline Shared* shared_ = nullptr;
  TempDir tmp_;
};

bool exists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

TEST_F(ContainerRun, OverlayShowsTheImageWithWhiteoutsAndOpaqueDirsApplied) {
  PullOptions o;
  Image img = pull_image(paths(), Reference::parse(image_ref()), o);
  auto b = create_container_rootfs(paths(), "c1", {img.ref, img.manifest_desc.digest, img.chain_ids});
  EXPECT_EQ(read_file(b.rootfs + "/etc/skiff-test"), "skiff-layer-two\n");
  EXPECT_FALSE(exists(b.rootfs + "/etc/hostname"));  // whited out by layer 3
  EXPECT_TRUE(exists(b.rootfs + "/opt/data/c"));     // layer 4's opaque dir replaced /opt/data
  EXPECT_FALSE(exists(b.rootfs + "/opt/data/a"));
  EXPECT_TRUE(exists(b.rootfs + "/bin/busybox"));
  // Writes land in the container's upper dir, never in a shared layer.
  write_file_atomic(b.rootfs + "/etc/written", "x");
  EXPECT_TRUE(exists(b.dir + "/upper/etc/written"));
  for (const auto& c : img.chain_ids) EXPECT_FALSE(exists(paths().layer(c) + "/etc/written"));
  // Removing and re-creating a directory works (overlay's whiteouts in the upper dir).
  ASSERT_EQ(test::run("rm -rf " + b.rootfs + "/opt/data && mkdir " + b.rootfs + "/opt/data"), 0);
  // A container record protects its layers from prune, even with no reference left.
  ReferenceIndex(paths()).remove(img.ref);
  auto pr = prune_store(paths());
  EXPECT_EQ(pr.layers, 0u);
  for (const auto& c : img.chain_ids) EXPECT_TRUE(exists(paths().layer(c)));
  remove_container_rootfs(paths(), "c1");
  EXPECT_FALSE(exists(b.dir));
  pr = prune_store(paths());
  EXPECT_EQ(pr.layers, img.chain_ids.size());
  std::string out;
  test::run("find " + paths().blobs() + " " + paths().layers() + " -mindepth 1", &out);
  EXPECT_EQ(out, "");
}

TEST_F(ContainerRun, BundleConfigComesFromTheImageAndTheFlags) {
  Image img = pull_image(paths(), Reference::parse(image_ref()), {});
  auto b = create_container_rootfs(paths(), "c2", {img.ref, img.manifest_desc.digest, img.chain_ids});
  RunFlags f;
  auto spec = build_bundle_config(img.config, f, b.rootfs, img.ref, false);
  EXPECT_EQ(spec["process"]["args"], nlohmann::json({"/bin/sh", "-c", "echo hello-from-image"}));
  EXPECT_EQ(spec["process"]["cwd"], "/opt");
  EXPECT_EQ(spec["process"]["user"]["uid"], 65534);  // "nobody" from the image's /etc/passwd
  EXPECT_EQ(spec["process"]["user"]["gid"], 65534);
  auto env = spec["process"]["env"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(env.begin(), env.end(), "SKIFF_IMAGE_ENV=from-image"), env.end());
  f.cmd = {"id"};
  f.user = "skiff";
  f.env = {"SKIFF_IMAGE_ENV=from-flag"};
  f.workdir = "/tmp";
  spec = build_bundle_config(img.config, f, b.rootfs, img.ref, false);
  EXPECT_EQ(spec["process"]["args"], nlohmann::json({"id"}));
  EXPECT_EQ(spec["process"]["user"]["uid"], 1000);
  EXPECT_EQ(spec["process"]["cwd"], "/tmp");
  env = spec["process"]["env"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(env.begin(), env.end(), "SKIFF_IMAGE_ENV=from-flag"), env.end());
  EXPECT_EQ(std::find(env.begin(), env.end(), "SKIFF_IMAGE_ENV=from-image"), env.end());
  f.user = "no-such-user";
  EXPECT_THROW(build_bundle_config(img.config, f, b.rootfs, img.ref, false), Error);
  remove_container_rootfs(paths(), "c2");
}

TEST_F(ContainerRun, SkiffRunPullsRunsAndReturnsTheExitStatus) {
  std::string out;
  ASSERT_EQ(skiff("run --rm " + image_ref(), &out), 0) << out;
  EXPECT_NE(out.find("hello-from-image"), std::string::npos) << out;
  // The command after the image replaces Cmd; its exit status is skiff's.
  EXPECT_EQ(skiff("run --rm -e FOO=bar " + image_ref() + " sh -c 'echo $FOO; exit 7'", &out), 7) << out;
  EXPECT_NE(out.find("bar"), std::string::npos) << out;
  // --rm left nothing behind: no container dir, no runtime state.
  EXPECT_EQ(test::run("ls -A " + tmp_ / "store/containers" + " | wc -l", &out), 0);
  EXPECT_EQ(std::atoi(out.c_str()), 0);
}

TEST_F(ContainerRun, SecondRunReusesTheLayers) {
  std::string out;
  ASSERT_EQ(skiff("pull -q " + image_ref(), &out), 0) << out;
  // The layers' inodes and change times: a re-extraction would replace the directories.
  auto layers_state = [&] {
    std::string s;
    test::run("stat -c '%n %i %Z' " + tmp_ / "store/layers/*", &s);
    return s;
  };
  std::string before = layers_state();
  ASSERT_EQ(skiff("run --rm " + image_ref() + " true", &out), 0) << out;
  ASSERT_EQ(skiff("run -u root --name keep " + image_ref() + " sh -c 'echo kept > /kept'", &out), 0) << out;
  EXPECT_EQ(layers_state(), before);
  EXPECT_EQ(read_file(tmp_ / "store/containers/keep/upper/kept"), "kept\n");
  // A named container is still there until rm; its name is taken meanwhile.
  EXPECT_NE(skiff("run --name keep " + image_ref() + " true", &out), 0);
  EXPECT_NE(out.find("already exists"), std::string::npos) << out;
  ASSERT_EQ(skiff("rm keep", &out), 0) << out;
  EXPECT_FALSE(exists(tmp_ / "store/containers/keep"));
}

TEST_F(ContainerRun, PullKilledWithSigkillIsCompletedByTheNextPull) {
  // Reference result: a clean pull into another store.
  TempDir ref_store;
  StorePaths ref_paths{ref_store / "store"};
  Image want = pull_image(ref_paths, Reference::parse(image_ref()), {});
  std::string want_tree;
  test::run("cd " + ref_paths.layers() + " && find . -printf '%p %y %m %s %l\\n' | sort", &want_tree);
  // Kill `skiff pull` as soon as it has written anything into tmp/ (a partial blob, a half layer),
  // at several points in successive rounds.
  for (int delay_ms : {0, 20, 60}) {
    TempDir t;
    std::string root = t / "store";
    pid_t pid = ::fork();
    if (pid == 0) {
      ::setenv("SKIFF_IMAGE_STORE", root.c_str(), 1);
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execl(SKIFF_BINARY, SKIFF_BINARY, "pull", "-q", image_ref().c_str(), nullptr);
      ::_exit(127);
    }
    std::string out;
    for (int i = 0; i < 2000; ++i) {
      if (test::run("ls -A " + root + "/tmp 2>/dev/null | grep -c .", &out) == 0 &&
          std::atoi(out.c_str()) > 0)
        break;
      ::usleep(1000);
    }
    ::usleep(static_cast<useconds_t>(delay_ms) * 1000);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    StorePaths p{root};
    Image got = pull_image(p, Reference::parse(image_ref()), {});
    EXPECT_EQ(got.chain_ids, want.chain_ids);
    std::string tree;
    test::run("cd " + p.layers() + " && find . -printf '%p %y %m %s %l\\n' | sort", &tree);
    EXPECT_EQ(tree, want_tree) << "after a kill at +" << delay_ms << " ms";
    test::run("find " + p.tmp() + " -mindepth 1", &out);
    EXPECT_EQ(out, "") << "leftovers after a kill at +" << delay_ms << " ms";
  }
}

TEST_F(ContainerRun, UnknownImageIsAOneLineErrorAndLeavesNothing) {
  std::string out;
  EXPECT_NE(skiff("run --rm " + shared_->reg->host() + "/fixture/busybox:missing true", &out), 0);
  EXPECT_NE(out.find("not found"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_EQ(
      test::run("ls -A " + tmp_ / "store/containers" + " " + tmp_ / "store/tmp" + " | grep -v :$ | grep -c .",
                &out),
      1);
}

// Names unique to this test process: containers' cgroups (/skiff/<id>) are host-wide.
std::string unique_name(const std::string& base) {
  return "img-" + base + "-" + std::to_string(::getpid());
}

TEST_F(ContainerRun, DefaultSeccompProfileBlocksWhatDockersBlocksAndSecurityOptChangesIt) {
  std::string out;
  // keyctl is outside Docker's default allow list: EPERM from the filter, not from the kernel.
  EXPECT_EQ(skiff("run --rm " + image_ref() + " sk-syscall keyctl", &out), 1) << out;
  EXPECT_NE(out.find("keyctl: Operation not permitted (errno 1)"), std::string::npos) << out;
  EXPECT_EQ(skiff("run --rm --security-opt seccomp=unconfined " + image_ref() + " sk-syscall keyctl", &out),
            0)
      << out;
  EXPECT_NE(out.find("keyctl: ok"), std::string::npos) << out;
  // A profile file in Docker's format: everything allowed but keyctl, which fails with ENOSYS.
  test::write_text(tmp_ / "profile.json",
                   R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["keyctl"],)"
                   R"("action":"SCMP_ACT_ERRNO","errnoRet":38}]})");
  EXPECT_EQ(
      skiff("run --rm --security-opt seccomp=" + tmp_ / "profile.json " + image_ref() + " sk-syscall keyctl",
            &out),
      1)
      << out;
  EXPECT_NE(out.find("(errno 38)"), std::string::npos) << out;
  // The profile follows the capabilities: the mount rule is there only with CAP_SYS_ADMIN.
  EXPECT_EQ(
      skiff("run --rm -u root --cap-add SYS_ADMIN --tmpfs /mnt " + image_ref() + " sk-syscall mount", &out),
      0)
      << out;
  EXPECT_EQ(skiff("run --rm -u root --tmpfs /mnt " + image_ref() + " sk-syscall mount", &out), 1) << out;
  EXPECT_NE(out.find("(errno 1)"), std::string::npos) << out;
}

TEST_F(ContainerRun, BadRunFlagsAreOneLineErrorsAndLeaveNothing) {
  std::string out;
  ASSERT_EQ(skiff("pull -q " + image_ref(), &out), 0) << out;
  test::write_text(tmp_ / "broken.json", "{\"defaultAction\": ");
  test::write_text(tmp_ / "noaction.json", "{\"syscalls\": []}");
  for (const std::string& flags :
       {"--security-opt seccomp=" + tmp_ / "missing.json", "--security-opt seccomp=" + tmp_ / "broken.json",
        "--security-opt seccomp=" + tmp_ / "noaction.json", std::string("--security-opt apparmor=x"),
        std::string("--memory 12x"), std::string("--memory 1k"), std::string("--cpus 0"),
        std::string("--cpus 999"), std::string("--cpus abc"), std::string("--pids-limit -5"),
        "--env-file " + tmp_ / "missing.env", std::string("-d --log-opt max-size=0"),
        std::string("-d --log-opt max-file=0"), std::string("-d --log-opt mode=non-blocking"),
        std::string("-d -t")}) {
    EXPECT_NE(skiff("run --rm " + flags + " " + image_ref() + " true", &out), 0) << flags;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << flags << ": " << out;
    EXPECT_EQ(out.rfind("skiff: ", 0), 0u) << flags << ": " << out;
    test::run(
        "ls -A " + tmp_ / "store/containers" + " " + tmp_ / "state" + " 2>/dev/null | grep -v :$ | grep -c .",
        &out);
    EXPECT_EQ(std::atoi(out.c_str()), 0) << flags << " left something behind";
  }
}

TEST_F(ContainerRun, EnvFileComesBeforeDashE) {
  test::write_text(
      tmp_ / "a.env",
      "# a comment\n\n  A=from file with spaces  \nB=from-file\nSKIFF_PASSED_THROUGH\nSKIFF_UNSET_NAME\n");
  ::setenv("SKIFF_PASSED_THROUGH", "ours", 1);
  ::unsetenv("SKIFF_UNSET_NAME");
  std::string out;
  ASSERT_EQ(skiff("run --rm --env-file " + tmp_ / "a.env" + " -e B=from-flag " + image_ref() +
                      " sh -c 'echo \"[$A][$B][$SKIFF_PASSED_THROUGH][${SKIFF_UNSET_NAME-unset}]\"'",
                  &out),
            0)
      << out;
  EXPECT_EQ(out, "[from file with spaces  ][from-flag][ours][unset]\n");
  test::write_text(tmp_ / "bad.env", "OK=1\nBAD KEY=2\n");
  EXPECT_NE(skiff("run --rm --env-file " + tmp_ / "bad.env " + image_ref() + " true", &out), 0);
  EXPECT_NE(out.find("bad.env:2"), std::string::npos) << out;
}

TEST_F(ContainerRun, MemoryCpusAndPidsLimitsLandInTheContainersCgroups) {
  if (::access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) != 0 ||
      ::access("/sys/fs/cgroup/pids", F_OK) != 0 || ::access("/sys/fs/cgroup/cpu", F_OK) != 0)
    GTEST_SKIP() << "needs the v1 memory, cpu and pids hierarchies (this test reads them)";
  std::string name = unique_name("limits"), out;
  ASSERT_EQ(
      skiff("run -d --name " + name + " --memory 64m --cpus 0.5 --pids-limit 50 " + image_ref() + " sleep 60",
            &out),
      0)
      << out;
  auto state = nlohmann::json::parse(read_file(tmp_ / "state/" + name + "/state.json"));
  std::string pid = std::to_string(state["pid"].get<int>());
  // The container's own cgroups, as its init's /proc/<pid>/cgroup names them.
  auto cgroup_file = [&](const std::string& hierarchy, const std::string& file) {
    std::string line;
    test::run("grep -E '^[0-9]+:([^:]*,)?" + hierarchy + "(,[^:]*)?:' /proc/" + pid + "/cgroup | cut -d: -f3",
              &line);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    std::string v = read_file("/sys/fs/cgroup/" + hierarchy + line + "/" + file);
    return v.substr(0, v.find('\n'));
  };
  EXPECT_EQ(cgroup_file("memory", "memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(cgroup_file("cpu", "cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(cgroup_file("cpu", "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(cgroup_file("pids", "pids.max"), "50");
  EXPECT_EQ(skiff("stop -t 0 " + name, &out), 0) << out;
  EXPECT_EQ(skiff("rm " + name, &out), 0) << out;
  // The pids limit holds: the fifth process cannot be forked (and the shell gives up).
  EXPECT_NE(skiff("run --rm --pids-limit 4 " + image_ref() +
                      " sh -c 'sleep 2 & sleep 2 & sleep 2 & sleep 2 & sleep 2 & wait; echo done'",
                  &out),
            0)
      << out;
  EXPECT_NE(out.find("can't fork"), std::string::npos) << out;
  EXPECT_EQ(out.find("done"), std::string::npos) << out;
}

TEST_F(ContainerRun, DetachedContainerPsLogsWithRotationAndStop) {
  std::string name = unique_name("logs"), out;
  // 300 numbered lines (about 2.6 kB) through 1 kB files: rotated at least twice, all kept (5 files).
  ASSERT_EQ(
      skiff("run -d --name " + name + " --log-opt max-size=1k --log-opt max-file=5 " + image_ref() +
                " sh -c 'trap \"echo got-term; exit 3\" TERM; i=0; while [ $i -lt 300 ]; do echo line-$i; "
                "i=$((i+1)); done; echo ready >&2; while true; do sleep 0.1; done'",
            &out),
      0)
      << out;
  EXPECT_EQ(out, name + "\n");
  for (int i = 0; i < 200 && out.find("ready") == std::string::npos; ++i) {
    skiff("logs " + name, &out);
    ::usleep(50 * 1000);
  }
  ASSERT_NE(out.find("ready"), std::string::npos) << out;
  std::string want;
  for (int i = 0; i < 300; ++i) want += "line-" + std::to_string(i) + "\n";
  EXPECT_EQ(out, want + "ready\n");  // stdout and stderr, in order, across the rotated files
  EXPECT_TRUE(exists(tmp_ / "store/containers/" + name + "/container.log.2"));
  EXPECT_FALSE(exists(tmp_ / "store/containers/" + name + "/container.log.5"));
  ASSERT_EQ(skiff("ps", &out), 0) << out;
  EXPECT_NE(out.find(name), std::string::npos) << out;
  EXPECT_NE(out.find("running"), std::string::npos) << out;
  // stop: the stop signal reaches the container's trap; it exits on its own well before the timeout.
  ASSERT_EQ(skiff("stop -t 30 " + name, &out), 0) << out;
  EXPECT_EQ(out, name + "\n");
  ASSERT_EQ(skiff("logs -f " + name, &out), 0) << out;  // -f on a finished log returns
  EXPECT_EQ(out, want + "ready\ngot-term\n");
  ASSERT_EQ(skiff("ps -q", &out), 0) << out;
  EXPECT_EQ(out.find(name), std::string::npos) << out;  // not running: only with -a
  ASSERT_EQ(skiff("ps -a", &out), 0) << out;
  EXPECT_NE(out.find("stopped"), std::string::npos) << out;
  EXPECT_EQ(skiff("stop " + name, &out), 0) << out;  // already stopped: fine
  ASSERT_EQ(skiff("rm " + name, &out), 0) << out;
  EXPECT_FALSE(exists(tmp_ / "store/containers/" + name));
  EXPECT_NE(skiff("logs " + name, &out), 0);
  EXPECT_NE(out.find("no such container"), std::string::npos) << out;
}

TEST_F(ContainerRun, StopKillsAContainerThatIgnoresItsStopSignal) {
  // sleep as the pid namespace's init has no SIGTERM handler: the kernel drops the signal.
  std::string name = unique_name("stubborn"), out;
  ASSERT_EQ(skiff("run -d --name " + name + " " + image_ref() + " sleep 1000", &out), 0) << out;
  ASSERT_EQ(skiff("stop -t 1 " + name, &out), 0) << out;
  ASSERT_EQ(skiff("ps -a", &out), 0) << out;
  EXPECT_NE(out.find("stopped"), std::string::npos) << out;
  EXPECT_NE(skiff("stop no-such-container", &out), 0);
  EXPECT_NE(out.find("no-such-container"), std::string::npos) << out;
  ASSERT_EQ(skiff("rm " + name, &out), 0) << out;
}

TEST_F(ContainerRun, DetachedRmRemovesTheContainerWhenItExits) {
  std::string name = unique_name("detached-rm"), out;
  ASSERT_EQ(skiff("run -d --rm --name " + name + " " + image_ref() + " sh -c 'sleep 0.5; echo bye'", &out), 0)
      << out;
  EXPECT_TRUE(exists(tmp_ / "store/containers/" + name));  // still running right after
  bool gone = false;
  for (int i = 0; i < 300 && !gone; ++i) {
    gone = !exists(tmp_ / "store/containers/" + name) && !exists(tmp_ / "state/" + name);
    if (!gone) ::usleep(50 * 1000);
  }
  EXPECT_TRUE(gone) << "the container of a -d --rm run is still there 15 s later";
  // A -d --rm run with a name in use fails, and the container of that name keeps running.
  ASSERT_EQ(skiff("run -d --name " + name + " " + image_ref() + " sleep 30", &out), 0) << out;
  EXPECT_NE(skiff("run -d --rm --name " + name + " " + image_ref() + " true", &out), 0);
  ::usleep(300 * 1000);
  ASSERT_EQ(skiff("ps -q", &out), 0);
  EXPECT_NE(out.find(name), std::string::npos) << "the running container was removed";
  EXPECT_EQ(skiff("rm -f " + name, &out), 0) << out;
}

TEST_F(ContainerRun, SigtermToSkiffRunReachesTheContainer) {
  std::string name = unique_name("sigterm"), out;
  ASSERT_EQ(skiff("pull -q " + image_ref(), &out), 0) << out;
  std::string log = tmp_ / "fg.out";
  test::write_text(log, "");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("SKIFF_IMAGE_STORE", (tmp_ / "store").c_str(), 1);
    ::setenv("SKIFF_RUNTIME_ROOT", (tmp_ / "state").c_str(), 1);
    int fd = ::open(log.c_str(), O_WRONLY | O_APPEND);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::string ref = image_ref();
    ::execl(SKIFF_BINARY, SKIFF_BINARY, "run", "--rm", "--name", name.c_str(), ref.c_str(), "sh", "-c",
            "trap 'echo got-term; exit 5' TERM; echo ready; while true; do sleep 0.1; done", nullptr);
    ::_exit(127);
  }
  // If an assertion below returns early: stop the run (and with it its container) rather than leak it.
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      if (pid > 0 && ::waitpid(pid, nullptr, WNOHANG) == 0) {
        ::kill(pid, SIGTERM);
        ::waitpid(pid, nullptr, 0);
      }
    }
  } reaper{pid};
  // Signalled only once the container's shell has its trap set (it printed "ready").
  for (int i = 0; i < 400 && read_file(log).find("ready") == std::string::npos; ++i) ::usleep(25 * 1000);
  ASSERT_NE(read_file(log).find("ready"), std::string::npos) << read_file(log);
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  reaper.pid = -1;
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 5);  // the container's exit status, after its own TERM handler ran
  EXPECT_EQ(read_file(log), "ready\ngot-term\n");
  EXPECT_FALSE(exists(tmp_ / "store/containers/" + name));  // --rm still cleaned up
}

TEST_F(ContainerRun, LogsFollowEndsWhenTheContainerDoes) {
  std::string name = unique_name("follow"), out;
  ASSERT_EQ(skiff("run -d --name " + name + " " + image_ref() + " sh -c 'echo one; sleep 1; echo two'", &out),
            0)
      << out;
  // Whatever comes after `logs -f` started is printed, and it returns once the output has ended.
  EXPECT_EQ(test::run("timeout 30 env SKIFF_IMAGE_STORE=" + tmp_ / "store" + " " + SKIFF_BINARY +
                          " logs -f " + name,
                      &out),
            0);
  EXPECT_EQ(out, "one\ntwo\n");
  EXPECT_EQ(skiff("rm " + name, &out), 0) << out;
}

TEST_F(ContainerRun, ForegroundOutputIsStreamedAndKeptForLogs) {
  std::string name = unique_name("fg"), out;
  ASSERT_EQ(skiff("pull -q " + image_ref(), &out), 0) << out;
  // stdout and stderr stay apart on the way to the terminal; the exit status is still the container's.
  std::string err_file = tmp_ / "fg.err";
  std::string base =
      "SKIFF_IMAGE_STORE=" + tmp_ / "store" + " SKIFF_RUNTIME_ROOT=" + tmp_ / "state" + " " + SKIFF_BINARY;
  EXPECT_EQ(test::run("(" + base + " run --name " + name + " " + image_ref() +
                          " sh -c 'echo out-1; echo err-1 >&2; sleep 0.2; echo out-2; exit 3' 2>" + err_file +
                          " </dev/null)",
                      &out),
            3);
  EXPECT_EQ(out, "out-1\nout-2\n");  // all of it there when skiff returned
  EXPECT_EQ(read_file(err_file), "err-1\n");
  // Kept as a detached container's is: both streams, each line once, stdout's in order.
  ASSERT_EQ(skiff("logs " + name, &out), 0) << out;
  EXPECT_LT(out.find("out-1\n"), out.find("out-2\n")) << out;
  EXPECT_NE(out.find("err-1\n"), std::string::npos) << out;
  EXPECT_EQ(out.size(), std::string("out-1\nerr-1\nout-2\n").size()) << out;
  ASSERT_EQ(skiff("logs -f " + name, &out), 0) << out;  // ended: -f returns at once
  EXPECT_EQ(out.size(), std::string("out-1\nerr-1\nout-2\n").size()) << out;
  // With -t, the log has what the terminal gave (its \r\n line ends).
  ASSERT_EQ(skiff("run -t --name " + name + "-tty " + image_ref() + " echo on-a-tty", &out), 0) << out;
  EXPECT_EQ(out, "on-a-tty\r\n");
  ASSERT_EQ(skiff("logs " + name + "-tty", &out), 0) << out;
  EXPECT_EQ(out, "on-a-tty\r\n");
  // --max-size applies to foreground logs too.
  ASSERT_EQ(skiff("run --name " + name + "-rot --log-opt max-size=1k --log-opt max-file=2 " + image_ref() +
                      " sh -c 'i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done'",
                  &out),
            0);
  EXPECT_NE(out.find("line-299\n"), std::string::npos);
  EXPECT_TRUE(exists(tmp_ / "store/containers/" + name + "-rot/container.log.1"));
  EXPECT_FALSE(exists(tmp_ / "store/containers/" + name + "-rot/container.log.2"));
  EXPECT_EQ(skiff("rm " + name + " " + name + "-tty " + name + "-rot", &out), 0) << out;
  // --rm keeps nothing, and there is nothing to ask for afterwards.
  ASSERT_EQ(skiff("run --rm --name " + name + "-rm " + image_ref() + " echo gone", &out), 0) << out;
  EXPECT_EQ(out, "gone\n");
  EXPECT_NE(skiff("logs " + name + "-rm", &out), 0);
  EXPECT_NE(out.find("no such container"), std::string::npos) << out;
}

TEST_F(ContainerRun, OciArchiveLoadsAndSaveRoundTrips) {
  std::string out, layout = shared_->dir / "layout";
  ASSERT_EQ(test::run("tar -C " + layout + " -cf " + tmp_ / "fixture.tar ."), 0);
  ASSERT_EQ(skiff("image load -i " + tmp_ / "fixture.tar --ref v1", &out), 0) << out;
  EXPECT_NE(out.find("localhost/fixture:v1"), std::string::npos) << out;  // a bare tag: the file's name
  ASSERT_EQ(skiff("run --rm localhost/fixture:v1 cat /etc/skiff-test", &out), 0) << out;
  EXPECT_EQ(out, "skiff-layer-two\n");
  // Saved, checked by a peer (skopeo reads oci-archive), loaded into another store: the same image.
  ASSERT_EQ(skiff("image save -o " + tmp_ / "saved.tar localhost/fixture:v1", &out), 0) << out;
  ASSERT_EQ(test::run("skopeo inspect --raw oci-archive:" + tmp_ / "saved.tar", &out), 0) << out;
  std::string digest;
  ASSERT_EQ(skiff("image inspect localhost/fixture:v1", &digest), 0);
  digest = nlohmann::json::parse(digest)["manifest"];
  EXPECT_EQ(sha256_of(out).str(), digest);
  TempDir other;
  ASSERT_EQ(test::run("gzip -c " + tmp_ / "saved.tar > " + tmp_ / "saved.tar.gz"), 0);
  ASSERT_EQ(test::run("SKIFF_IMAGE_STORE=" + other / "store " + SKIFF_BINARY + " image load -i " +
                          tmp_ / "saved.tar.gz",
                      &out),
            0)
      << out;
  EXPECT_NE(out.find("localhost/fixture:v1 (" + digest + ")"), std::string::npos) << out;
  // Saving something that is not there: an error, and no file.
  EXPECT_NE(skiff("image save -o " + tmp_ / "none.tar localhost/nothing:v1", &out), 0);
  EXPECT_FALSE(exists(tmp_ / "none.tar"));
}

TEST_F(ContainerRun, DockerSaveTarLoadsAndSharesLayersWithTheSameOciImage) {
  // A `docker save` tar made from the fixture layout: manifest.json, the config, uncompressed layer
  // tars in per-layer directories, one of them reached through a symlink (as older Docker writes).
  std::string layout = shared_->dir / "layout", d = tmp_ / "docker", out;
  std::string script =
      "set -e; L=" + layout + "; D=" + d +
      "; mkdir -p $D; m=$(jq -r '.manifests[0].digest' $L/index.json | cut -d: -f2)"
      "; c=$(jq -r .config.digest $L/blobs/sha256/$m | cut -d: -f2); cp $L/blobs/sha256/$c $D/$c.json"
      "; i=0; layers=; for l in $(jq -r '.layers[].digest' $L/blobs/sha256/$m | cut -d: -f2); do"
      "  mkdir $D/$i; gzip -dc $L/blobs/sha256/$l > $D/$i/layer.tar; "
      "layers=\"$layers\\\"$i/layer.tar\\\",\"; "
      "  i=$((i+1)); done"
      "; mkdir $D/link && ln -s ../0/layer.tar $D/link/layer.tar; layers=$(echo \"$layers\" | sed "
      "'s|\"0/|\"link/|; s|,$||')"
      "; echo "
      "\"[{\\\"Config\\\":\\\"$c.json\\\",\\\"RepoTags\\\":[\\\"fixture/"
      "docker:v1\\\"],\\\"Layers\\\":[$layers]}]\" "
      "> $D/manifest.json; tar -C $D -cf " +
      tmp_ / "docker.tar .";
  ASSERT_EQ(test::run(script, &out), 0) << out;
  ASSERT_EQ(skiff("image load -i " + tmp_ / "docker.tar", &out), 0) << out;
  EXPECT_NE(out.find("docker.io/fixture/docker:v1"), std::string::npos) << out;
  ASSERT_EQ(skiff("run --rm fixture/docker:v1 sh -c 'cat /etc/skiff-test; ls /opt/data'", &out), 0) << out;
  EXPECT_EQ(out, "skiff-layer-two\nc\n");
  // The same layers (same diffIDs, hence chain IDs) as the OCI image: loading that extracts nothing new.
  std::string before;
  test::run("ls " + tmp_ / "store/layers", &before);
  ASSERT_EQ(test::run("tar -C " + layout + " -cf " + tmp_ / "fixture.tar ."), 0);
  ASSERT_EQ(skiff("image load -i " + tmp_ / "fixture.tar --ref v1", &out), 0) << out;
  test::run("ls " + tmp_ / "store/layers", &out);
  EXPECT_EQ(out, before);
}

TEST_F(ContainerRun, BadArchivesAreOneLineErrorsAndLeaveTheStoreAsItWas) {
  std::string out;
  test::write_text(tmp_ / "junk.tar", "this is not a tar archive at all, not even close.\n");
  ASSERT_EQ(test::run("mkdir -p " + tmp_ / "evil && echo x > " + tmp_ / "evil/f && tar -C " + tmp_ / "evil" +
                      " -cf " + tmp_ / "slip.tar --transform 's|^f$|../../../escaped-by-archive|' f"),
            0);
  ASSERT_EQ(test::run("mkdir -p " + tmp_ / "empty && tar -C " + tmp_ / "empty -cf " + tmp_ / "empty.tar ."),
            0);
  for (const char* name : {"junk.tar", "slip.tar", "empty.tar", "missing.tar"}) {
    EXPECT_NE(skiff("image load -i " + tmp_ / name, &out), 0) << name;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << name << ": " << out;
    test::run("ls -A " + tmp_ / "store/tmp " + tmp_ / "store/layers 2>/dev/null | grep -v :$ | grep -c .",
              &out);
    EXPECT_EQ(std::atoi(out.c_str()), 0) << name << " left something behind";
  }
  for (std::string p = tmp_ / "store/tmp"; p.size() > 1; p = p.substr(0, p.rfind('/')))
    EXPECT_FALSE(exists(p + "/escaped-by-archive")) << p;
}

}  // namespace
}  // namespace skiff::image
