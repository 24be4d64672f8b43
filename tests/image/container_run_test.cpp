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

#include "bundle_builder.hpp"
#include "container_rootfs.hpp"
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

}  // namespace
}  // namespace skiff::image
