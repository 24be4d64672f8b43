// running_in_user_namespace(): its answer follows the process into a user namespace it unshares (as
// rootless `skiff run` does after having asked once), in a forked child so the test process stays put.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rootless.hpp"

TEST(RootlessDecision, UserNamespaceAnswerFollowsAnUnshare) {
  bool before = skiff::running_in_user_namespace();
  if (before) GTEST_SKIP() << "the tests already run in a user namespace";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Asked (and cached) before, as a caller that has not yet unshared would.
    if (skiff::running_in_user_namespace()) ::_exit(10);
    if (::unshare(CLONE_NEWUSER) != 0) ::_exit(11);
    if (!skiff::running_in_user_namespace()) ::_exit(12);  // a stale answer
    if (!skiff::is_rootless()) ::_exit(13);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 11) GTEST_SKIP() << "unshare(CLONE_NEWUSER) is not allowed here";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: in a user namespace before; 12: stale after the unshare; "
                                       "13: is_rootless() stale";
}
