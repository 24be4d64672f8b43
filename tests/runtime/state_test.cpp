#include "state.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "error.hpp"

using namespace skiff;

namespace {
struct TempRoot {
  std::string path;
  TempRoot() {
    char t[] = "/tmp/skiff-state-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempRoot() { std::filesystem::remove_all(path); }
};
}  // namespace

TEST(ContainerId, AcceptsRuncCharset) {
  EXPECT_NO_THROW(validate_container_id("abc-DEF_1.2+3"));
  for (const char* bad : {"", ".", "..", "a/b", "../x", "a b", "a\nb", "é"}) {
    EXPECT_THROW(validate_container_id(bad), Error) << bad;
  }
  EXPECT_THROW(validate_container_id(std::string(1025, 'a')), Error);
}

TEST(StateStore, CreateLoadSaveRemove) {
  TempRoot r;
  StateStore store(r.path + "/nested/root");
  auto l = store.create("c1");
  ContainerState s;
  s.id = "c1";
  s.pid = getpid();
  s.pid_start_time = *process_start_time(getpid());
  s.bundle = "/b";
  s.rootfs = "/b/rootfs";
  s.created = "2026-11-22T07:41:19.123456789Z";
  s.owner = "root";
  s.oci_version = "1.2.0";
  s.annotations = {{"k", "v"}};
  s.config_json = "{}";
  store.save(l, s);
  auto loaded = store.load(l);
  EXPECT_EQ(loaded.pid, s.pid);
  EXPECT_EQ(loaded.bundle, "/b");
  EXPECT_EQ(loaded.annotations.at("k"), "v");
  EXPECT_EQ(derive_status(loaded, l.dir()), Status::running);
  EXPECT_THROW(store.create("c1"), Error);
  EXPECT_EQ(store.list_ids(), std::vector<std::string>{"c1"});
  store.remove(l);
  EXPECT_TRUE(store.list_ids().empty());
  try {
    store.open("c1");
    FAIL() << "open of a removed container succeeded";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "container does not exist");
  }
}

TEST(StateStore, OciJsonHasRuncFields) {
  ContainerState s;
  s.id = "x";
  s.pid = 42;
  s.bundle = "/b";
  s.rootfs = "/b/r";
  s.created = "t";
  s.oci_version = "1.0.2";
  auto j = nlohmann::json::parse(s.to_oci_json(Status::running));
  for (const char* k : {"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["status"], "running");
  EXPECT_EQ(j["pid"], 42);
  EXPECT_FALSE(j.contains("annotations"));
  // A stopped container reports pid 0, as runc does.
  EXPECT_EQ(nlohmann::json::parse(s.to_oci_json(Status::stopped))["pid"], 0);
}

TEST(StateStore, StatusFollowsTheProcessAndFifo) {
  TempRoot r;
  StateStore store(r.path);
  auto l = store.create("c");
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  ContainerState s;
  s.pid = child;
  s.pid_start_time = *process_start_time(child);
  s.has_exec_fifo = true;
  ASSERT_EQ(mkfifo((l.dir() + "/exec.fifo").c_str(), 0600), 0);
  EXPECT_EQ(derive_status(s, l.dir()), Status::created);
  unlink((l.dir() + "/exec.fifo").c_str());
  EXPECT_EQ(derive_status(s, l.dir()), Status::running);
  // A reused pid (different start time) is not the container.
  ContainerState other = s;
  other.pid_start_time += 1;
  EXPECT_EQ(derive_status(other, l.dir()), Status::stopped);
  kill(child, SIGKILL);
  // A zombie is stopped too.
  for (int i = 0; i < 100; ++i) {
    bool zombie = false;
    process_start_time(child, &zombie);
    if (zombie) break;
    usleep(10000);
  }
  EXPECT_EQ(derive_status(s, l.dir()), Status::stopped);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(derive_status(s, l.dir()), Status::stopped);
  store.remove(l);
}

TEST(StateStore, LockSerializesCommandsOnOneId) {
  TempRoot r;
  StateStore store(r.path);
  auto created = store.create("c");
  std::atomic<bool> got{false};
  std::thread t([&] {
    auto l = store.open("c");
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(got.load()) << "a second command got the lock while create held it";
  { StateStore::Locked drop = std::move(created); }
  t.join();
  EXPECT_TRUE(got.load());
}
