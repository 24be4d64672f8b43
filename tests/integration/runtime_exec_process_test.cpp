// Runtime::exec_process, the library's detached exec for long-running callers (the prober): the
// process gets the caller's chosen stdio, leads its own process group, comes back as pid + pidfd, and
// the caller's thread keeps its own pid namespace for children.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.hpp"
#include "error.hpp"
#include "harness.hpp"
#include "unique_fd.hpp"

using namespace skiff::test;

namespace {

ino_t ns_inode(const char* path) {
  struct stat st {};
  if (::stat(path, &st) != 0) return 0;
  return st.st_ino;
}

// Reads `fd` to EOF (bounded by a 10 s guard against a hung test).
std::string read_to_eof(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) break;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

int wait_exit(int pidfd) {
  siginfo_t info{};
  if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED) != 0) return -1;
  return info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
}

class ExecProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!is_root()) GTEST_SKIP() << "needs root: creates namespaces and mounts";
    b_.set_args({"/bin/sleep", "1000"});
    b_.write();
    id_ = rt_.unique_id("execproc");
    auto r = rt_({"run", "-d", "--bundle", b_.path(), id_});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  skiff::ExecOptions options(std::vector<std::string> args, int out) {
    skiff::ExecOptions o;
    o.id = id_;
    o.args = std::move(args);
    o.stdio[0] = devnull_.get();
    o.stdio[1] = out;
    o.stdio[2] = out;
    o.new_process_group = true;
    return o;
  }
  Runtime rt_;
  Bundle b_;
  std::string id_;
  skiff::UniqueFd devnull_{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
};

TEST_F(ExecProcess, OutputExitStatusAndProcessGroup) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  skiff::UniqueFd rd(p[0]), wr(p[1]);
  ino_t before = ns_inode("/proc/thread-self/ns/pid_for_children");
  skiff::Runtime lib(rt_.root());
  auto proc = lib.exec_process(options({"/bin/sh", "-c", "echo out; echo err >&2; cat; exit 3"}, wr.get()));
  wr.reset();
  ASSERT_GT(proc.pid, 0);
  ASSERT_TRUE(proc.pidfd);
  EXPECT_EQ(::getpgid(proc.pid), proc.pid);  // its own group, seen from here
  // The caller's children are still born in the caller's pid namespace.
  EXPECT_EQ(ns_inode("/proc/thread-self/ns/pid_for_children"), before);
  EXPECT_EQ(read_to_eof(rd.get()), "out\nerr\n");  // cat read /dev/null: EOF at once
  EXPECT_EQ(wait_exit(proc.pidfd.get()), 3);
}

TEST_F(ExecProcess, MissingExecutableIsAnErrorAndLeavesNothing) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  skiff::UniqueFd rd(p[0]), wr(p[1]);
  size_t fds = fd_count();
  skiff::Runtime lib(rt_.root());
  try {
    lib.exec_process(options({"/no/such/binary"}, wr.get()));
    FAIL() << "exec of a missing binary succeeded";
  } catch (const skiff::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/no/such/binary"), std::string::npos) << e.what();
  }
  EXPECT_EQ(fd_count(), fds);
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);  // no child left to reap
  EXPECT_EQ(errno, ECHILD);
}

}  // namespace
