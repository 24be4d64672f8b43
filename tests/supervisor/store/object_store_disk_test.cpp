// ObjectStore on disk: what survives a restart, what is written when, the lock, damaged files, and a
// full disk (a tiny tmpfs in a private mount namespace).
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "file_util.hpp"
#include "store/document_file.hpp"
#include "store/object_store.hpp"
#include "store_fixture.hpp"

namespace skiff::store::testing {
namespace {

using nlohmann::json;

uint64_t rv(const ObjectPtr& o) {
  return std::stoull((*o)["metadata"]["resourceVersion"].get<std::string>());
}

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

std::vector<std::string> files_under(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file()) out.push_back(e.path().string());
  return out;
}

TEST_F(StoreTest, ObjectsAndRevisionsSurviveARestart) {
  auto& s = open();
  auto a = s.create(pod("a"));
  auto b = s.create(pod("b"));
  s.remove("Pod", "default", "b");  // the highest revision was a deletion
  uint64_t last = s.resource_version();
  auto uid = (*a)["metadata"]["uid"];
  auto& s2 = open();
  EXPECT_TRUE(s2.load_problems().empty());
  auto a2 = s2.get("Pod", "default", "a");
  ASSERT_TRUE(a2);
  EXPECT_EQ((*a2)["metadata"]["uid"], uid);
  EXPECT_EQ(*a2, *a);
  EXPECT_FALSE(s2.get("Pod", "default", "b"));
  EXPECT_GT(rv(s2.create(pod("c"))), last);
  EXPECT_TRUE(exists(dir_ + "/store/objects/pods/default/a.json"));
  EXPECT_TRUE(exists(dir_ + "/store/objects/namespaces/default.json"));
  struct stat st;
  ASSERT_EQ(::stat((dir_ + "/store/objects/pods/default/a.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // Secrets live here too
}

TEST_F(StoreTest, RevisionCeilingIsWrittenOncePerBlock) {
  auto o = options();
  o.revision_block = 100;
  store_ = ObjectStore::open(o);
  std::string path = dir_ + "/store/revision";
  auto before = read_file(path);
  for (int i = 0; i < 20; ++i)
    store_->update_status("Namespace", "", "default", {{"phase", std::to_string(i)}});
  EXPECT_EQ(read_file(path), before);  // 20 revisions inside one block: no write
  for (int i = 0; i < 100; ++i)
    store_->update_status("Namespace", "", "default", {{"phase", "x" + std::to_string(i)}});
  EXPECT_NE(read_file(path), before);
}

TEST_F(StoreTest, StatusIsWrittenOnlyWhenAskedAndCoalesced) {
  auto& s = open();
  s.create(pod("web"));
  std::string path = dir_ + "/store/status/pods/default/web.json";
  s.update_status("Pod", "default", "web", {{"phase", "Running"}, {"ready", true}});
  EXPECT_FALSE(exists(path));  // memory only: a readiness flip writes nothing
  s.update_status("Pod", "default", "web", {{"phase", "Running"}, {"restartCount", 1}},
                  StatusWrite::kDurable);
  ASSERT_TRUE(exists(path));  // the first durable change goes out at once
  EXPECT_EQ(decode_document(read_file(path))["status"]["restartCount"], 1);
  s.update_status("Pod", "default", "web", {{"phase", "Running"}, {"restartCount", 2}},
                  StatusWrite::kDurable);
  s.update_status("Pod", "default", "web", {{"phase", "Running"}, {"restartCount", 3}},
                  StatusWrite::kDurable);
  EXPECT_EQ(decode_document(read_file(path))["status"]["restartCount"], 1);  // within the interval
  EXPECT_EQ(s.pending_status_writes(), 1u);
  exec_.advance(std::chrono::seconds(9));
  EXPECT_EQ(decode_document(read_file(path))["status"]["restartCount"], 1);
  exec_.advance(std::chrono::seconds(1));
  EXPECT_EQ(decode_document(read_file(path))["status"]["restartCount"], 3);  // one write for two changes
  EXPECT_EQ(s.pending_status_writes(), 0u);
  s.update_status("Pod", "default", "web", {{"phase", "Running"}, {"restartCount", 4}},
                  StatusWrite::kDurable);
  EXPECT_TRUE(s.flush_status());
  auto& s2 = open();
  EXPECT_EQ((*s2.get("Pod", "default", "web"))["status"]["restartCount"], 4);
  s2.remove("Pod", "default", "web");
  EXPECT_FALSE(exists(path));
}

TEST_F(StoreTest, ASecondSupervisorIsRefused) {
  open();
  try {
    ObjectStore::open(options());
    FAIL() << "two stores on one state dir";
  } catch (const StoreError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("another skiff supervise (pid " + std::to_string(::getpid()) + ")"), std::string::npos)
        << m;
    EXPECT_NE(m.find(dir_), std::string::npos) << m;
  }
  store_.reset();
  EXPECT_NO_THROW(open());  // the lock goes with its holder
}

TEST_F(StoreTest, DamagedFilesAreReportedAndSetAsideNotDropped) {
  auto& s = open();
  s.create(pod("good"));
  s.create(pod("flipped"));
  s.create(pod("cut"));
  store_.reset();
  std::string base = dir_ + "/store/objects/pods/default/";
  std::string flipped = read_file(base + "flipped.json");
  flipped[flipped.size() - 10] ^= 0x20;
  write_file_atomic(base + "flipped.json", flipped);
  std::string cut = read_file(base + "cut.json");
  write_file_atomic(base + "cut.json", cut.substr(0, cut.size() / 2));
  write_file_atomic(base + "good.json.tmp.4242", "half a wri");
  auto& s2 = open();
  EXPECT_TRUE(s2.get("Pod", "default", "good"));
  EXPECT_FALSE(s2.get("Pod", "default", "flipped"));
  EXPECT_FALSE(s2.get("Pod", "default", "cut"));
  std::map<std::string, LoadProblem> by_file;
  for (auto& p : s2.load_problems()) by_file[p.path.substr(p.path.rfind('/') + 1)] = p;
  ASSERT_EQ(by_file.size(), 3u);
  EXPECT_EQ(by_file["flipped.json"].problem, "checksum mismatch");
  EXPECT_NE(by_file["cut.json"].problem.find("truncated"), std::string::npos);
  EXPECT_NE(by_file["good.json.tmp.4242"].action.find("previous version is intact"), std::string::npos);
  // Set aside, not deleted: a person can look at them.
  std::string moved = by_file["flipped.json"].action.substr(std::string("moved to ").size());
  EXPECT_EQ(read_file(moved), flipped);
  EXPECT_FALSE(exists(base + "good.json.tmp.4242"));
  // The next start is clean: nothing is reported twice.
  EXPECT_TRUE(open().load_problems().empty());
}

// ENOSPC: a 256 KiB tmpfs mounted over the state dir in this process's own mount namespace.
class StoreDiskFullTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a tmpfs";
    if (::unshare(CLONE_NEWNS) < 0) GTEST_SKIP() << "unshare(CLONE_NEWNS): " << strerror(errno);
    ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0);
    mkdir_all(dir_, 0700);
    ASSERT_EQ(::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=256k,mode=0700"), 0) << strerror(errno);
    mounted_ = true;
  }
  void TearDown() override {
    store_.reset();
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    StoreTest::TearDown();
  }
  // Fills the filesystem, leaving less than `leave` bytes.
  void fill(size_t leave) {
    std::ofstream f(dir_ + "/filler", std::ios::binary);
    std::string block(4096, 'x');
    struct statvfs v;
    for (;;) {
      ::statvfs(dir_.c_str(), &v);
      if (v.f_bavail * v.f_bsize <= leave) break;
      f.write(block.data(), block.size());
      f.flush();
      if (!f) break;
    }
  }
  bool mounted_ = false;
};

TEST_F(StoreDiskFullTest, AFullDiskLeavesTheOldStateAndTellsTheCaller) {
  auto& s = open();
  json cm = {{"kind", "ConfigMap"},
             {"metadata", {{"name", "conf"}, {"namespace", "default"}}},
             {"data", {{"k", "v1"}}}};
  auto before = s.create(cm);
  std::string path = dir_ + "/store/objects/configmaps/default/conf.json";
  std::string on_disk = read_file(path);
  fill(4096);
  json big = *before;
  big["data"]["k"] = std::string(64 * 1024, 'y');
  try {
    s.update(big);
    FAIL() << "an update larger than the free space succeeded";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.reason(), Reason::kInternal);
    EXPECT_EQ(e.err(), ENOSPC);
    EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nothing was changed"), std::string::npos) << e.what();
  }
  EXPECT_EQ(s.get("ConfigMap", "default", "conf"), before);  // memory unchanged
  EXPECT_EQ(read_file(path), on_disk);                       // disk unchanged
  json other = cm;
  other["metadata"]["name"] = "other";
  other["data"]["k"] = std::string(64 * 1024, 'z');
  EXPECT_THROW(s.create(other), StoreError);
  EXPECT_FALSE(s.get("ConfigMap", "default", "other"));
  for (auto& f : files_under(dir_ + "/store")) EXPECT_EQ(f.find(".tmp."), std::string::npos) << f;
  // Space again: the same update goes through, and a restart sees it.
  ::unlink((dir_ + "/filler").c_str());
  EXPECT_NO_THROW(s.update(big));
  auto& s2 = open();
  EXPECT_TRUE(s2.load_problems().empty());
  EXPECT_EQ((*s2.get("ConfigMap", "default", "conf"))["data"]["k"].get<std::string>().size(), 64u * 1024);
  EXPECT_FALSE(s2.get("ConfigMap", "default", "other"));
}

TEST_F(StoreDiskFullTest, DurableStatusWritesWaitForSpaceInsteadOfFailing) {
  auto& s = open();
  s.create(pod("web"));
  fill(0);
  s.update_status("Pod", "default", "web", {{"restartCount", 1}, {"pad", std::string(8192, 'p')}},
                  StatusWrite::kDurable);
  EXPECT_EQ((*s.get("Pod", "default", "web"))["status"]["restartCount"], 1);  // kept in memory
  ASSERT_FALSE(background_errors_.empty());
  EXPECT_NE(background_errors_[0].find("No space left"), std::string::npos) << background_errors_[0];
  EXPECT_EQ(s.pending_status_writes(), 1u);
  ::unlink((dir_ + "/filler").c_str());
  exec_.advance(std::chrono::seconds(10));
  EXPECT_EQ(s.pending_status_writes(), 0u);
  EXPECT_EQ((*open().get("Pod", "default", "web"))["status"]["restartCount"], 1);
}

}  // namespace
}  // namespace skiff::store::testing
