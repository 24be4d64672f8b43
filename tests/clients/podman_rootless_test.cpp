// Rootless podman 4.3 drives skiff-runtime: a real unprivileged user (useradd'ed for the test) runs
// `podman --runtime <ours>` with its storage in a temp dir. podman runs the runtime inside the user's
// namespace as its uid 0, where it owns nothing on the host: no /run, no cgroups (this host has no
// delegated cgroup v2 subtree), no mknod.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "clients_harness.hpp"
#include "file_util.hpp"

using namespace skiff::test;

namespace {

// The user, a home and XDG_RUNTIME_DIR it owns, a copy of our runtime and the fixture image it can
// read, and podman's storage; all removed at the end, podman's pause process stopped by its pid.
class RootlessPodman {
 public:
  RootlessPodman() : user_("skpm"), dir_("skiff-podman-rootless") {
    if (!user_.error().empty()) {
      error_ = user_.error();
      return;
    }
    namespace fs = std::filesystem;
    chmod(dir_.path().c_str(), 0755);
    for (const char* d : {"home", "xdg", "storage"}) {
      std::string p = dir_.path() + "/" + d;
      mkdir(p.c_str(), 0700);
      if (chown(p.c_str(), user_.uid(), user_.gid()) != 0) error_ = "chown " + p;
    }
    runtime_ = dir_.path() + "/skiff-runtime";
    fs::copy_file(runtime_binary(), runtime_);
    chmod(runtime_.c_str(), 0755);
    image_tar_ = dir_.path() + "/image.tar";
    fs::copy_file(fixture_oci_layout(), image_tar_);
    chmod(image_tar_.c_str(), 0644);
  }
  ~RootlessPodman() {
    if (!user_.error().empty()) return;  // no user, nothing of it ran
    podman({"rm", "--all", "--force", "--time", "0"});
    // podman keeps the user namespace alive with a pause process; it is ours to stop.
    std::string pid_file = storage() + "/tmp/pause.pid";
    std::ifstream in(pid_file);
    pid_t pid = 0;
    if (in >> pid && pid > 1) kill(pid, SIGKILL);
  }
  const std::string& error() const { return error_; }
  std::string storage() const { return dir_.path() + "/storage"; }
  std::string xdg() const { return dir_.path() + "/xdg"; }
  const std::string& image_tar() const { return image_tar_; }

  Result podman(const std::vector<std::string>& args, int timeout_s = 90) const {
    std::vector<std::string> argv = {"/usr/bin/podman",
                                     "--root",
                                     storage() + "/root",
                                     "--runroot",
                                     storage() + "/runroot",
                                     "--tmpdir",
                                     storage() + "/tmp",
                                     "--runtime",
                                     runtime_,
                                     "--cgroup-manager",
                                     "cgroupfs",
                                     "--events-backend",
                                     "file",
                                     "--storage-driver",
                                     "overlay"};
    argv.insert(argv.end(), args.begin(), args.end());
    return user_.run(argv, {"HOME=" + dir_.path() + "/home", "XDG_RUNTIME_DIR=" + xdg()}, timeout_s);
  }
  // `podman run` with the flags this machine needs (the hard rlimits root may not raise, no network).
  Result run(const std::vector<std::string>& flags, const std::vector<std::string>& args) const {
    std::vector<std::string> a = {"run",       "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                                  "--network", "none"};
    a.insert(a.end(), flags.begin(), flags.end());
    a.push_back("localhost/latest:latest");  // what `podman load` names an OCI layout's image
    a.insert(a.end(), args.begin(), args.end());
    return podman(a);
  }
  uint32_t subuid() const { return user_.subuid(); }

 private:
  TestUser user_;
  TempDir dir_;
  std::string error_, runtime_, image_tar_;
};

}  // namespace

TEST(PodmanRootless, RunExecStopAndNothingLeft) {
  if (!is_root()) GTEST_SKIP() << "needs root to create the unprivileged test user";
  if (access("/usr/bin/podman", X_OK) != 0 || access("/usr/bin/conmon", X_OK) != 0)
    GTEST_SKIP() << "podman or conmon is not installed (Debian packages podman, conmon)";
  if (access("/usr/bin/newuidmap", X_OK) != 0) GTEST_SKIP() << "needs newuidmap (Debian package uidmap)";
  if (access(fixture_oci_layout().c_str(), R_OK) != 0)
    GTEST_SKIP() << "no fixture image " << fixture_oci_layout() << " (built with umoci)";
  RootlessPodman pm;
  ASSERT_EQ(pm.error(), "");
  auto load = pm.podman({"load", "--quiet", "--input", pm.image_tar()}, 120);
  ASSERT_EQ(load.status, 0) << load.out << load.err;

  // Exit statuses and output come through; inside, root is the user's subordinate range.
  auto seven = pm.run({"--rm"}, {"sh", "-c", "cat /proc/self/uid_map; ls -ln /dev/null; exit 7"});
  EXPECT_EQ(seven.status, 7) << seven.out << seven.err;
  EXPECT_NE(seven.out.find(std::to_string(pm.subuid())), std::string::npos) << seven.out;
  EXPECT_NE(seven.out.find("1,   3"), std::string::npos) << seven.out;  // the host's /dev/null, bound
  auto f = pm.run({"--rm"}, {"false"});
  EXPECT_EQ(f.status, 1) << f.out << f.err;

  // A detached container: exec inside its pid namespace, listed, stopped, removed.
  auto d = pm.run({"--detach", "--name", "sleeper"}, {"sleep", "1000"});
  ASSERT_EQ(d.status, 0) << d.out << d.err;
  std::string id = trim(d.out);
  auto e = pm.podman({"exec", "sleeper", "sh", "-c", "cat /proc/1/cmdline; exit 4"});
  EXPECT_EQ(e.status, 4) << e.err;
  EXPECT_EQ(e.out.substr(0, 5), std::string("sleep", 5)) << e.out;
  auto ps = pm.podman({"ps", "--format", "{{.Names}} {{.Status}}"});
  EXPECT_NE(ps.out.find("sleeper Up"), std::string::npos) << ps.out << ps.err;
  auto stop = pm.podman({"stop", "--time", "1", "sleeper"});
  EXPECT_EQ(stop.status, 0) << stop.err;
  auto rm = pm.podman({"rm", "sleeper"});
  EXPECT_EQ(rm.status, 0) << rm.err;
  EXPECT_EQ(trim(pm.podman({"ps", "--all", "--quiet"}).out), "");

  // The runtime kept its state under the user's XDG_RUNTIME_DIR and left none of it.
  struct stat st;
  EXPECT_EQ(stat((pm.xdg() + "/skiff-runtime").c_str(), &st), 0) << "state root not under XDG_RUNTIME_DIR";
  EXPECT_NE(stat((pm.xdg() + "/skiff-runtime/" + id).c_str(), &st), 0) << "runtime state left for " << id;
  EXPECT_NE(stat(("/run/skiff-runtime/" + id).c_str(), &st), 0);
}
