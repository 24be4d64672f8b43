#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "blob_store.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "reference_index.hpp"
#include "test_util.hpp"

using namespace skiff::image;
using skiff::image::test::TempDir;

namespace {}  // namespace

TEST(BlobStore, StoresOnlyVerifiedContent) {
  TempDir t;
  BlobStore store(StorePaths{t.path()});
  std::string data(300000, 'x');
  Digest d = sha256_of(data);
  auto in = store.begin(d, data.size());
  ASSERT_TRUE(in);
  in->write(data.data(), 1000);
  EXPECT_FALSE(store.has(d));  // not visible while incomplete
  in->write(data.data() + 1000, data.size() - 1000);
  in->commit();
  in.reset();
  EXPECT_TRUE(store.has(d));
  EXPECT_EQ(store.read(d), data);
  EXPECT_EQ(store.begin(d, data.size()), nullptr);  // already present
  EXPECT_TRUE(test::list_dir(t / "tmp").empty());
}

TEST(BlobStore, MismatchNamesBothDigestsAndLeavesNothing) {
  TempDir t;
  BlobStore store(StorePaths{t.path()});
  Digest want = sha256_of("good");
  Digest got = sha256_of("evil");
  try {
    store.put(want, "evil");
    FAIL() << "accepted wrong content";
  } catch (const skiff::Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(want.str()), std::string::npos) << msg;
    EXPECT_NE(msg.find(got.str()), std::string::npos) << msg;
  }
  EXPECT_FALSE(store.has(want));
  EXPECT_TRUE(test::list_dir(t / "tmp").empty());
  EXPECT_TRUE(test::list_dir(t / "blobs/sha256").empty());
}

TEST(BlobStore, SizeIsChecked) {
  TempDir t;
  BlobStore store(StorePaths{t.path()});
  Digest d = sha256_of("abc");
  EXPECT_THROW(store.put(d, "abc", 4), skiff::Error);
  auto in = store.begin(d, 2);
  EXPECT_THROW(in->write("abc", 3), skiff::Error);
}

TEST(BlobStore, PartialTransferResumesAfterAKill) {
  TempDir t;
  StorePaths paths{t.path()};
  std::string data(1 << 20, 'q');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  Digest d = sha256_of(data);
  pid_t pid = ::fork();
  if (pid == 0) {
    BlobStore s(paths);
    auto in = s.begin(d, data.size());
    in->write(data.data(), 4096 * 10);
    ::_exit(0);  // dies without cleanup, like SIGKILL
  }
  int st;
  ::waitpid(pid, &st, 0);
  BlobStore store(paths);
  auto in = store.begin(d, data.size());
  ASSERT_TRUE(in);
  EXPECT_EQ(in->offset(), 4096 * 10);
  in->write(data.data() + in->offset(), data.size() - in->offset());
  in->commit();
  in.reset();
  EXPECT_EQ(sha256_of_file(store.path(d)), d);
  EXPECT_TRUE(test::list_dir(t / "tmp").empty());
}

TEST(BlobStore, ConcurrentWritersShareOneDownload) {
  TempDir t;
  StorePaths paths{t.path()};
  std::string data(100000, 'z');
  Digest d = sha256_of(data);
  BlobStore store(paths);
  auto first = store.begin(d, data.size());
  ASSERT_TRUE(first);
  std::atomic<bool> second_got_null{false};
  std::thread other([&] {
    BlobStore s2(paths);
    second_got_null = s2.begin(d, data.size()) == nullptr;  // waits for the first, then sees the blob
  });
  first->write(data.data(), data.size());
  first->commit();
  first.reset();
  other.join();
  EXPECT_TRUE(second_got_null);
}

TEST(ReferenceIndex, SetFindRemove) {
  TempDir t;
  ReferenceIndex ix(StorePaths{t.path()});
  Descriptor m;
  m.media_type = media::kOciManifest;
  m.digest = sha256_of("m");
  m.size = 1;
  ix.set("docker.io/library/a:1", m);
  ix.set("docker.io/library/b:1", m);
  m.size = 2;
  ix.set("docker.io/library/a:1", m);
  auto all = ix.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(ix.find("docker.io/library/a:1")->manifest.size, 2);
  EXPECT_TRUE(ix.remove("docker.io/library/a:1"));
  EXPECT_FALSE(ix.remove("docker.io/library/a:1"));
  EXPECT_EQ(ix.list().size(), 1u);
  // The file is an OCI layout index.
  auto j = parse_json(skiff::read_file(t / "index.json"), "index.json");
  EXPECT_EQ(j["manifests"][0]["annotations"][kRefNameAnnotation], "docker.io/library/b:1");
}
