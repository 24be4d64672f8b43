// Runtime bugs the clients exposed, reproduced without the client (the real skiff-runtime binary,
// the test process playing the client's part).
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "clients_harness.hpp"

using namespace skiff::test;

namespace {

// podman (conmon) and containerd's shim are child subreapers: the container's init becomes their
// child when `create` exits, and they reap it the moment it exits. `start` of a container whose
// process exits at once (podman run --rm IMAGE true) failed with "container init is gone" when the
// init was released, ran and was reaped before `start` looked at it. Here the test process is the
// subreaper, and a thread blocked in waitpid reaps the init as fast as any client could.
TEST(ClientRegression, StartOfAnInstantlyExitingProcessUnderASubreaper) {
  if (!is_root()) GTEST_SKIP() << "needs root: creates containers";
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  Runtime rt;
  Bundle b;
  b.set_args({"/bin/true"});
  b.write();
  for (int i = 0; i < 10; ++i) {
    std::string id = rt.unique_id("instant");
    std::string pid_file = b.path() + "/init.pid";
    auto c = rt({"create", "--bundle", b.path(), "--pid-file", pid_file, id});
    ASSERT_EQ(c.status, 0) << c.err;
    pid_t init = 0;
    std::ifstream(pid_file) >> init;
    ASSERT_GT(init, 0);
    int status = -1;
    std::thread reaper([&] { waitpid(init, &status, 0); });
    // `start` as SCHED_IDLE: the init it wakes through the fifo, and the reaper, preempt it at once,
    // as they do on a loaded node.
    auto s =
        run_command({"/usr/bin/chrt", "--idle", "0", runtime_binary(), "--root", rt.root(), "start", id});
    reaper.join();
    EXPECT_EQ(s.status, 0) << "round " << i << ": " << s.err;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "round " << i << ": status " << status;
    auto d = rt({"delete", id});
    EXPECT_EQ(d.status, 0) << d.err;
  }
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

}  // namespace
