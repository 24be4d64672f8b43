#include "layer_extract.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "error.hpp"
#include "file_util.hpp"
#include "tar_builder.hpp"
#include "test_util.hpp"
#include "unique_fd.hpp"

using namespace skiff::image;
using namespace skiff::image::test;

namespace {

ExtractResult extract(const std::string& blob, const std::string& dest, ExtractOptions o = {}) {
  TempDir blobdir;
  write_text(blobdir / "blob", blob);
  skiff::UniqueFd fd(::open((blobdir / "blob").c_str(), O_RDONLY | O_CLOEXEC));
  skiff::mkdir_all(dest);
  return extract_layer(fd.get(), dest, "layer test", o);
}

std::string xattr(const std::string& path, const std::string& name) {
  char buf[256];
  ssize_t n = ::lgetxattr(path.c_str(), name.c_str(), buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

bool exists(const std::string& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}

std::vector<TarEntry> sample_layer() {
  auto f = tar_file("etc/app.conf", "key=value\n", 0640);
  f.uid = 1000;
  f.gid = 1001;
  f.mtime = 1234567890;
  f.xattrs["user.test"] = "hello";
  auto setuid = tar_file("bin/tool", std::string(100000, 'x'), 04755);
  auto opaque = tar_file("var/cache/.wh..wh..opq", "");
  auto whiteout = tar_file("etc/.wh.removed", "");
  // Modes the umask would take or that need no chown: the extractor skips chmod only when it may.
  auto owned_link = tar_symlink("etc/owned-link", "app.conf");
  owned_link.uid = 1000;
  owned_link.gid = 1001;
  auto shared = tar_file("etc/shared", "w", 0666);
  auto sticky = tar_file("etc/sticky", "s", 01600);
  return {tar_dir("./", 0755),
          tar_dir("etc", 0755),
          f,
          shared,
          sticky,
          owned_link,
          tar_dir("bin", 0711),
          setuid,
          tar_hardlink("bin/tool-link", "bin/tool"),
          tar_symlink("bin/sh", "/bin/busybox"),
          tar_dir("var/cache", 0700),
          opaque,
          whiteout};
}

}  // namespace

class LayerExtract : public ::testing::TestWithParam<std::string> {};

TEST_P(LayerExtract, AllEntryKindsAndTheDiffId) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (ownership, trusted.overlay xattrs, whiteout devices)";
  TempDir t;
  auto entries = sample_layer();
  ExtractOptions o;
  o.expected_diff_id = sha256_of(make_plain_tar(entries));
  auto r = extract(make_tar(entries, GetParam()), t / "l", o);
  EXPECT_EQ(r.diff_id, *o.expected_diff_id);

  struct stat st;
  ASSERT_EQ(::lstat((t / "l/etc/app.conf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1234567890);
  EXPECT_EQ(skiff::read_file(t / "l/etc/app.conf"), "key=value\n");
  EXPECT_EQ(xattr(t / "l/etc/app.conf", "user.test"), "hello");
  ASSERT_EQ(::lstat((t / "l/etc/shared").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0666u) << "group/other write bits despite the umask";
  EXPECT_EQ(st.st_uid, 0u);
  ASSERT_EQ(::lstat((t / "l/etc/owned-link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_uid, 1000u) << "a symlink's own owner, not its target's";
  EXPECT_EQ(st.st_gid, 1001u);
  ASSERT_EQ(::lstat((t / "l/etc/sticky").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01600u);

  struct stat tool, link;
  ASSERT_EQ(::lstat((t / "l/bin/tool").c_str(), &tool), 0);
  ASSERT_EQ(::lstat((t / "l/bin/tool-link").c_str(), &link), 0);
  EXPECT_EQ(tool.st_mode & 07777, 04755u) << "setuid survives chown";
  EXPECT_EQ(tool.st_ino, link.st_ino);
  EXPECT_EQ(tool.st_nlink, 2u);

  char target[64] = {};
  ASSERT_GT(::readlink((t / "l/bin/sh").c_str(), target, sizeof target), 0);
  EXPECT_STREQ(target, "/bin/busybox");

  ASSERT_EQ(::lstat((t / "l/bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0711u);
  EXPECT_EQ(xattr(t / "l/var/cache", "trusted.overlay.opaque"), "y");
  EXPECT_FALSE(exists(t / "l/var/cache/.wh..wh..opq"));
  ASSERT_EQ(::lstat((t / "l/etc/removed").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(exists(t / "l/etc/.wh.removed"));
}

INSTANTIATE_TEST_SUITE_P(Compression, LayerExtract, ::testing::Values("none", "gzip", "zstd"));

TEST(LayerExtractChecks, DiffIdMismatchIsAnError) {
  TempDir t;
  ExtractOptions o;
  o.expected_diff_id = sha256_of("something else");
  o.rootless = ::geteuid() != 0;
  try {
    extract(make_tar({tar_file("a", "b")}), t / "l", o);
    FAIL() << "accepted a layer whose diffID does not match";
  } catch (const skiff::Error& e) {
    EXPECT_NE(std::string(e.what()).find("diffID mismatch"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(o.expected_diff_id->str()), std::string::npos) << e.what();
  }
}

TEST(LayerExtractChecks, TruncatedAndCorruptBlobsAreErrors) {
  TempDir t;
  std::string blob = make_tar({tar_file("a", std::string(200000, 'r'))}, "gzip");
  ExtractOptions o;
  o.rootless = ::geteuid() != 0;
  EXPECT_THROW(extract(blob.substr(0, blob.size() / 2), t / "l1", o), skiff::Error);
  std::string corrupt = blob;
  corrupt[corrupt.size() / 2] ^= 0x55;
  EXPECT_THROW(extract(corrupt, t / "l2", o), skiff::Error);
  std::string z = make_tar({tar_file("a", std::string(200000, 'r'))}, "zstd");
  EXPECT_THROW(extract(z.substr(0, z.size() - 10), t / "l3", o), skiff::Error);
}

TEST(LayerExtractChecks, ZlibAndIsalGiveTheSameTree) {
  if (!have_isal()) GTEST_SKIP() << "built without ISA-L";
  TempDir t;
  std::string data;
  for (int i = 0; i < 300000; ++i) data += static_cast<char>('a' + (i * 31 % 26));
  auto blob = make_tar({tar_file("big", data), tar_file("small", "x")}, "gzip");
  ExtractOptions a, b;
  a.inflater = Inflater::kZlib;
  b.inflater = Inflater::kIsal;
  a.rootless = b.rootless = ::geteuid() != 0;
  auto ra = extract(blob, t / "a", a);
  auto rb = extract(blob, t / "b", b);
  EXPECT_EQ(ra.diff_id, rb.diff_id);
  EXPECT_EQ(skiff::read_file(t / "b/big"), data);
}

TEST(LayerExtractHostile, DotDotIsRejected) {
  TempDir t;
  ExtractOptions o;
  o.rootless = ::geteuid() != 0;
  for (std::string bad : {"../escape", "a/../../escape", "./../escape"}) {
    try {
      extract(make_tar({tar_file(bad, "pwned")}), t / "l", o);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const skiff::Error& e) {
      EXPECT_NE(std::string(e.what()).find("hostile layer"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(exists(t / "escape"));
    skiff::remove_all(t / "l");
  }
}

TEST(LayerExtractHostile, AbsolutePathsStayInside) {
  TempDir t;
  ExtractOptions o;
  o.rootless = ::geteuid() != 0;
  std::string outside = t / "outside-abs";
  extract(make_tar({tar_file(outside, "contained")}), t / "l", o);
  EXPECT_FALSE(exists(outside));
  EXPECT_EQ(skiff::read_file(t / "l" + outside), "contained");
}

TEST(LayerExtractHostile, WritesThroughSymlinksStayInside) {
  TempDir t;
  ExtractOptions o;
  o.rootless = ::geteuid() != 0;
  std::string victim = t / "victim";
  skiff::mkdir_all(victim);
  // A symlink to an absolute host directory and one climbing out with "..": both resolve inside the
  // layer (where the test's layer has the same directories), never on the host.
  auto inside = tar_dir(victim.substr(1));
  extract(make_tar({inside, tar_symlink("abs", victim), tar_file("abs/f1", "x"),
                    tar_symlink("up", "../../../../.."), tar_file("up" + victim + "/f2", "y")}),
          t / "l", o);
  EXPECT_FALSE(exists(victim + "/f1"));
  EXPECT_FALSE(exists(victim + "/f2"));
  EXPECT_EQ(skiff::read_file(t / "l" + victim + "/f1"), "x");
  EXPECT_EQ(skiff::read_file(t / "l" + victim + "/f2"), "y");
  // A symlink that points at a directory the layer does not have: an error, and nothing on the host.
  EXPECT_THROW(extract(make_tar({tar_symlink("abs", victim), tar_file("abs/f3", "z")}), t / "l2", o),
               skiff::Error);
  EXPECT_FALSE(exists(victim + "/f3"));
}

TEST(LayerExtractHostile, SymlinkReplacingAFileIsNotFollowed) {
  TempDir t;
  ExtractOptions o;
  o.rootless = ::geteuid() != 0;
  std::string victim = t / "victim-file";
  write_text(victim, "original");
  // A symlink named like a later file: the later file replaces the link, never writes through it.
  extract(make_tar({tar_symlink("f", victim), tar_file("f", "pwned")}), t / "l", o);
  EXPECT_EQ(skiff::read_file(victim), "original");
  EXPECT_EQ(skiff::read_file(t / "l/f"), "pwned");
}

TEST(LayerExtractHostile, HardLinksToOutsideAreRejected) {
  TempDir t;
  ExtractOptions o;
  o.rootless = ::geteuid() != 0;
  std::string victim = t / "secret";
  write_text(victim, "secret");
  for (auto target : {victim, std::string("../secret"), std::string("/etc/passwd")}) {
    EXPECT_THROW(extract(make_tar({tar_hardlink("h", target)}), t / "l", o), skiff::Error) << target;
    skiff::remove_all(t / "l");
  }
  // Through a symlink in the layer: "lnk" -> host dir; "lnk/secret" resolves inside the layer (absent).
  EXPECT_THROW(extract(make_tar({tar_symlink("lnk", t.path()), tar_hardlink("h", "lnk/secret")}), t / "l", o),
               skiff::Error);
  struct stat st;
  ASSERT_EQ(::stat(victim.c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
}

TEST(LayerExtractHostile, OverlayXattrsInTheTarAreDropped) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (trusted.* xattrs)";
  TempDir t;
  auto d = tar_dir("d");
  d.xattrs["trusted.overlay.redirect"] = "/etc";
  auto f = tar_file("d/f", "x");
  f.xattrs["trusted.overlay.metacopy"] = "";
  auto r = extract(make_tar({d, f}), t / "l");
  EXPECT_EQ(xattr(t / "l/d", "trusted.overlay.redirect"), "");
  EXPECT_GE(r.notes.size(), 2u);
}
