// Rootless `skiff run`: a real unprivileged user (useradd'ed by the test, with /etc/subuid and /etc/subgid
// ranges) loads the fixture image into its own store (~/.local/share/skiff) and runs containers from it.
// skiff moves into a user namespace of its own, mounts the overlay there with userxattr and runs the
// container in it; nothing is left in any mount namespace afterwards.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "file_util.hpp"
#include "harness.hpp"
#include "registry_fixture.hpp"

namespace skiff::image {
namespace {

namespace fs = std::filesystem;
using skiff::test::Result;
using skiff::test::TestUser;

std::string why_not() {
  if (::geteuid() != 0) return "needs root to create the unprivileged test user";
  if (::access("/usr/bin/newuidmap", X_OK) != 0 || ::access("/usr/bin/newgidmap", X_OK) != 0)
    return "needs newuidmap/newgidmap (Debian package uidmap)";
  if (test::find_tool("umoci").empty()) return "umoci is not installed (builds the fixture image)";
  if (::access((test::fixture_rootfs() + "/bin/busybox").c_str(), X_OK) != 0)
    return "fixture rootfs not built at " + test::fixture_rootfs();
  return {};
}

// Lines of every process's mountinfo that name `path`: what a leaked mount in any namespace shows.
std::string mounts_naming(const std::string& path) {
  std::string found;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string pid = e.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    try {
      std::string info = read_file("/proc/" + pid + "/mountinfo");
      for (size_t at = info.find(path); at != std::string::npos; at = info.find(path, at + 1)) {
        size_t bol = info.rfind('\n', at), eol = info.find('\n', at);
        found += pid + ": " + info.substr(bol + 1, eol - bol - 1) + "\n";
      }
    } catch (const std::exception&) {
      // the process exited meanwhile
    }
  }
  return found;
}

class RootlessRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!why_not().empty()) return;
    s_ = new Shared();
    auto& s = *s_;
    if (!s.user.error().empty()) {
      s.error = s.user.error();
      return;
    }
    // The user must reach its files: a 0755 top directory with its home, runtime dir, a copy of skiff
    // and the image archive (root's build tree and temp dirs are not the user's to read).
    ::chmod(s.dir.path().c_str(), 0755);
    for (const char* d : {"home", "xdg", "volume"}) {
      std::string p = s.dir / d;
      ::mkdir(p.c_str(), 0700);
      if (::chown(p.c_str(), s.user.uid(), s.user.gid()) != 0) s.error = "chown " + p;
    }
    fs::copy_file(SKIFF_BINARY, s.dir / "skiff");
    ::chmod((s.dir / "skiff").c_str(), 0755);
    std::string err = test::build_fixture_layout(s.dir / "layout", "v1", s.dir / "scratch");
    if (!err.empty()) {
      s.error = err;
      return;
    }
    if (test::run("tar -C " + s.dir / "layout" + " -cf " + s.dir / "fixture.tar . && chmod 0644 " +
                  s.dir / "fixture.tar") != 0)
      s.error = "tar of the fixture layout failed";
  }
  static void TearDownTestSuite() {
    delete s_;
    s_ = nullptr;
  }
  void SetUp() override {
    if (auto why = why_not(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_EQ(s_->error, "");
    if (!loaded_) {
      Result r = skiff({"image", "load", "-i", s_->dir / "fixture.tar", "--ref", "v1"});
      ASSERT_EQ(r.status, 0) << r.out << r.err;
      loaded_ = true;
    }
  }
  // `skiff ARGS` as the test user, with its own HOME and XDG_RUNTIME_DIR.
  static Result skiff(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {s_->dir / "skiff"};
    argv.insert(argv.end(), args.begin(), args.end());
    return s_->user.run(argv, {"HOME=" + s_->dir / "home", "XDG_RUNTIME_DIR=" + s_->dir / "xdg"}, 60);
  }
  static std::string store() { return s_->dir / "home/.local/share/skiff"; }
  static std::string state_root() { return s_->dir / "xdg/skiff-runtime"; }
  // Entries but dot files: the runtime's state root keeps its .seccomp-cache, as it does for root.
  static std::string entries(const std::string& dir) {
    std::string out;
    test::run("ls " + dir + " 2>/dev/null", &out);
    return out;
  }

  struct Shared {
    TestUser user{"skrr"};
    test::TempDir dir;
    std::string error;
  };
  static inline Shared* s_ = nullptr;
  static inline bool loaded_ = false;
};

TEST_F(RootlessRun, ImageLoadExtractsLayersOwnedByTheUserWithoutChown) {
  // Every extracted file is the user's: the extractor ran rootless (the image's files are root's).
  std::string out;
  test::run("find " + store() + "/layers -mindepth 1 ! -uid " + std::to_string(s_->user.uid()) + " | head",
            &out);
  EXPECT_EQ(out, "");
  EXPECT_NE(entries(store() + "/layers"), "");
  Result r = skiff({"images"});
  EXPECT_NE(r.out.find("localhost/fixture:v1"), std::string::npos) << r.out << r.err;
}

TEST_F(RootlessRun, ExitStatusEnvWorkdirAndImageUserComeThrough) {
  Result r = skiff({"run", "--rm", "-e", "FOO=bar", "-w", "/tmp", "localhost/fixture:v1", "sh", "-c",
                    "echo \"$FOO $(pwd) $(id -u)\"; cat /proc/self/uid_map; exit 7"});
  EXPECT_EQ(r.status, 7) << r.out << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "bar /tmp 65534") << r.out << r.err;  // the image's nobody
  // The container shares skiff's user namespace: 0 is the user, 1.. its subordinate range.
  std::string want0 = std::to_string(s_->user.uid()), want1 = std::to_string(s_->user.subuid());
  EXPECT_NE(r.out.find(" " + want0 + " "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" " + want1 + " "), std::string::npos) << r.out;
  // The image's default command, and a failing one.
  r = skiff({"run", "--rm", "localhost/fixture:v1"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "hello-from-image\n") << r.err;
  r = skiff({"run", "--rm", "localhost/fixture:v1", "false"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
}

TEST_F(RootlessRun, BindVolumeWritesLandOnTheHostAsTheUser) {
  std::string vol = s_->dir / "volume";
  Result r = skiff({"run", "--rm", "-u", "root", "-v", vol + ":/data", "localhost/fixture:v1", "sh", "-c",
                    "echo from-container > /data/out && ls -ln /data/out"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(read_file(vol + "/out"), "from-container\n");
  struct stat st {};
  ASSERT_EQ(::stat((vol + "/out").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, s_->user.uid());  // root inside is the user outside
}

TEST_F(RootlessRun, LowerLayerDirectoryCanBeRemovedAndRecreated) {
  // /opt/data comes from a lower layer (an opaque dir over the base layer's); without userxattr the
  // overlay cannot record the whiteout and the mkdir fails.
  Result r = skiff({"run", "--rm", "-u", "root", "localhost/fixture:v1", "sh", "-c",
                    "rm -rf /opt/data && mkdir /opt/data && echo new > /opt/data/n && ls /opt/data && "
                    "rm -rf /opt && mkdir -p /opt/x && ls /opt"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "n\nx\n") << r.err;
  // The shared layers are untouched.
  r = skiff({"run", "--rm", "localhost/fixture:v1", "ls", "/opt/data"});
  EXPECT_EQ(r.out, "c\n") << r.err;
}

TEST_F(RootlessRun, NothingIsLeftBehindInAnyNamespace) {
  Result r =
      skiff({"run", "--rm", "--name", "gone", "localhost/fixture:v1", "sh", "-c", "echo x > /tmp/by-nobody"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(entries(store() + "/containers"), "");
  EXPECT_EQ(entries(state_root()), "");
  EXPECT_EQ(mounts_naming(s_->dir.path()), "");
  // Without --rm: kept (stopped) until `skiff rm`, which removes files owned by a subordinate id
  // (the image's nobody wrote them) that the user itself could not.
  r = skiff(
      {"run", "--name", "kept", "localhost/fixture:v1", "sh", "-c", "mkdir /tmp/d && echo x > /tmp/d/f"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  struct stat st {};
  ASSERT_EQ(::stat((store() + "/containers/kept/upper/tmp/d/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, s_->user.subuid() + 65533);
  EXPECT_EQ(mounts_naming(s_->dir.path()), "");  // the overlay went with skiff's namespace
  r = skiff({"ps", "-a"});
  EXPECT_NE(r.out.find("kept"), std::string::npos) << r.out << r.err;
  // Its (empty) output was kept; skiff's own warnings meanwhile (no cgroups here) are not part of it.
  r = skiff({"logs", "kept"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  r = skiff({"rm", "kept"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(entries(store() + "/containers"), "");
  EXPECT_EQ(entries(state_root()), "");
  // A bad run (unknown image) is one line and leaves nothing either.
  r = skiff({"run", "--rm", "localhost/nothing:v1", "true"});
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(entries(store() + "/containers"), "");
  EXPECT_EQ(mounts_naming(s_->dir.path()), "");
}

}  // namespace
}  // namespace skiff::image
