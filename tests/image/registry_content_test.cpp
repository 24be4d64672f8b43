// What comes through a real registry (Debian's docker-registry on 127.0.0.1): a multi-platform index
// pushed with skopeo --all and pulled per platform; hostile layers served by the registry, rejected or
// contained with the store unchanged; and the umoci oracle: our stage-3 rootfs of the fixture image
// equals `umoci unpack` of the same image (paths, types, modes, owners, link targets, xattrs, contents).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "container_rootfs.hpp"
#include "digest.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "puller.hpp"
#include "reference_index.hpp"
#include "registry_fixture.hpp"
#include "tar_builder.hpp"

namespace skiff::image {
namespace {

using json = nlohmann::json;
using test::Registry;
using test::TarEntry;
using test::TempDir;

// An OCI image layout written by hand: blobs, then index.json naming tagged manifests or indexes.
class LayoutWriter {
 public:
  explicit LayoutWriter(std::string dir) : dir_(std::move(dir)) {
    mkdir_all(dir_ + "/blobs/sha256");
    test::write_text(dir_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  }
  json blob(const std::string& media_type, const std::string& data) {
    Digest d = sha256_of(data);
    test::write_text(dir_ + "/blobs/sha256/" + std::string(d.hex()), data);
    return {{"mediaType", media_type}, {"digest", d.str()}, {"size", data.size()}};
  }
  // An image of one layer per entry list; returns its manifest descriptor.
  json image(const std::vector<std::vector<TarEntry>>& layers, const std::string& arch) {
    json diff_ids = json::array(), layer_descs = json::array();
    for (const auto& entries : layers) {
      diff_ids.push_back(sha256_of(test::make_plain_tar(entries)).str());
      layer_descs.push_back(blob("application/vnd.oci.image.layer.v1.tar+gzip", test::make_tar(entries)));
    }
    json config = {{"architecture", arch},
                   {"os", "linux"},
                   {"config", {{"Cmd", {"/bin/sh"}}}},
                   {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                     {"config", blob("application/vnd.oci.image.config.v1+json", config.dump())},
                     {"layers", layer_descs}};
    return blob("application/vnd.oci.image.manifest.v1+json", manifest.dump());
  }
  json index(const std::vector<json>& manifests) {
    json idx = {{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.index.v1+json"},
                {"manifests", manifests}};
    return blob("application/vnd.oci.image.index.v1+json", idx.dump());
  }
  void tag(json desc, const std::string& name) {
    desc["annotations"] = {{"org.opencontainers.image.ref.name", name}};
    top_.push_back(desc);
    json idx = {{"schemaVersion", 2}, {"manifests", top_}};
    test::write_text(dir_ + "/index.json", idx.dump());
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  json top_ = json::array();
};

bool exists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

// Everything in a store: path, type, size (a listing to compare before and after a failed pull).
std::string store_listing(const std::string& root) {
  std::string out;
  test::run("cd " + root + " 2>/dev/null && find . -printf '%p %y %s\\n' | sort", &out);
  return out;
}

class RegistryContent : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = test::registry_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
    ::setenv("SKIFF_AUTH_FILE", (tmp_ / "no-auth.json").c_str(), 1);
    ::setenv("XDG_CONFIG_HOME", (tmp_ / "config").c_str(), 1);
    ::setenv("DOCKER_CONFIG", (tmp_ / "docker").c_str(), 1);
    reg_ = std::make_unique<Registry>();
  }
  // skopeo copy of a layout's tag, every manifest of an index included (--all).
  std::string push_all(const std::string& layout, const std::string& tag, const std::string& repo_tag) {
    test::write_text(tmp_ / "policy.json", R"({"default":[{"type":"insecureAcceptAnything"}]})");
    std::string out;
    int rc = test::run("skopeo --policy " + tmp_ / "policy.json" +
                           " copy --quiet --all --dest-tls-verify=false oci:" + layout + ":" + tag +
                           " docker://" + reg_->host() + "/" + repo_tag,
                       &out);
    return rc == 0 ? "" : out;
  }
  PullOptions options(const std::string& platform = "") {
    PullOptions o;
    o.registry.backoff = std::chrono::milliseconds(10);
    if (!platform.empty()) o.platform = Platform::parse(platform);
    return o;
  }
  StorePaths paths() { return StorePaths{tmp_ / "store"}; }
  // The content of /etc/arch in the top layer of a pulled image.
  std::string arch_file(const Image& img) {
    return read_file(paths().layer(img.chain_ids.back()) + "/etc/arch");
  }

  TempDir tmp_;
  std::unique_ptr<Registry> reg_;
};

TEST_F(RegistryContent, MultiPlatformIndexPullsTheHostsImageOrTheOneAskedFor) {
  LayoutWriter w(tmp_ / "layout");
  auto image_for = [&](const std::string& arch) {
    return w.image({{test::tar_dir("etc"), test::tar_file("etc/arch", arch + "\n")}}, arch);
  };
  json amd64 = image_for("amd64"), arm64 = image_for("arm64"), armv7 = image_for("arm");
  amd64["platform"] = {{"os", "linux"}, {"architecture", "amd64"}};
  arm64["platform"] = {{"os", "linux"}, {"architecture", "arm64"}, {"variant", "v8"}};
  armv7["platform"] = {{"os", "linux"}, {"architecture", "arm"}, {"variant", "v7"}};
  w.tag(w.index({amd64, arm64, armv7}), "multi");
  ASSERT_EQ(push_all(w.dir(), "multi", "fixture/multi:v1"), "");
  auto ref = Reference::parse(reg_->host() + "/fixture/multi:v1");

  // By default the host's image (this machine is amd64; elsewhere the check is on the digest only).
  Image host = pull_image(paths(), ref, options());
  if (Platform::host().architecture == "amd64") {
    EXPECT_EQ(host.manifest_desc.digest.str(), amd64["digest"]);
    EXPECT_EQ(arch_file(host), "amd64\n");
  }
  Image arm = pull_image(paths(), ref, options("linux/arm64"));
  EXPECT_EQ(arm.manifest_desc.digest.str(), arm64["digest"]);  // "v8" is arm64's default variant
  EXPECT_EQ(arch_file(arm), "arm64\n");
  Image v7 = pull_image(paths(), ref, options("linux/arm/v7"));
  EXPECT_EQ(v7.manifest_desc.digest.str(), armv7["digest"]);
  EXPECT_EQ(arch_file(v7), "arm\n");
  // The reference now names the last one pulled.
  EXPECT_EQ(ReferenceIndex(paths()).find(ref.str())->manifest.digest.str(), armv7["digest"]);

  // A platform the index does not have: an error listing what it has; nothing changes in the store.
  std::string before = store_listing(paths().root);
  try {
    pull_image(paths(), ref, options("linux/s390x"));
    FAIL() << "pulled an image for a platform the index lacks";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("linux/s390x"), std::string::npos) << msg;
    EXPECT_NE(msg.find("linux/arm/v7"), std::string::npos) << msg;
  }
  EXPECT_EQ(store_listing(paths().root), before);
}

TEST_F(RegistryContent, HostileLayersFromTheRegistryAreRejectedOrContainedAndTheStoreIsUnchanged) {
  std::string victim_dir = tmp_ / "victim", victim_file = tmp_ / "secret";
  mkdir_all(victim_dir);
  test::write_text(victim_file, "secret");
  std::string escape_name = "escaped-" + std::to_string(::getpid());
  LayoutWriter w(tmp_ / "layout");
  auto base = std::vector<TarEntry>{test::tar_dir("etc"), test::tar_file("etc/base", "base\n")};
  w.tag(w.image({base}, "amd64"), "good");
  // Rejected: a tar-slip out of the layer directory, hard links to a host file (absolute and by "..").
  std::vector<std::pair<std::string, std::vector<TarEntry>>> rejected = {
      {"slip", {test::tar_file("../../../../" + escape_name, "pwned")}},
      {"hardlink-abs", {test::tar_hardlink("h", victim_file)}},
      {"hardlink-up", {test::tar_hardlink("h", "../../../secret")}},
  };
  for (const auto& [tag, entries] : rejected) w.tag(w.image({base, entries}, "amd64"), tag);
  // Contained: writes through symlinks to a host directory land inside the layer.
  auto through = std::vector<TarEntry>{test::tar_dir(victim_dir.substr(1)),
                                       test::tar_symlink("abs", victim_dir), test::tar_file("abs/f1", "x")};
  w.tag(w.image({base, through}, "amd64"), "symlink");
  for (const char* tag : {"good", "slip", "hardlink-abs", "hardlink-up", "symlink"})
    ASSERT_EQ(push_all(w.dir(), tag, std::string("fixture/hostile:") + tag), "") << tag;

  std::string repo = reg_->host() + "/fixture/hostile:";
  pull_image(paths(), Reference::parse(repo + "good"), options());
  for (const auto& [tag, entries] : rejected) {
    std::string before = store_listing(paths().root);
    try {
      pull_image(paths(), Reference::parse(repo + tag), options());
      ADD_FAILURE() << tag << ": a hostile layer was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("hostile layer"), std::string::npos) << tag << ": " << e.what();
    }
    EXPECT_EQ(store_listing(paths().root), before) << tag;
    EXPECT_FALSE(ReferenceIndex(paths()).find(repo + tag)) << tag;
  }
  // Nothing escaped anywhere up the tree, and the victim file has no new links.
  for (std::string d = paths().layers(); d.size() > 1; d = d.substr(0, d.rfind('/')))
    EXPECT_FALSE(exists(d + "/" + escape_name)) << d;
  struct stat st {};
  ASSERT_EQ(::stat(victim_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);

  Image img = pull_image(paths(), Reference::parse(repo + "symlink"), options());
  EXPECT_FALSE(exists(victim_dir + "/f1"));
  EXPECT_EQ(read_file(paths().layer(img.chain_ids.back()) + victim_dir + "/f1"), "x");
}

// Regular files, directories, symlinks, devices of a tree: one line each with type, mode, owner, link
// target, xattrs (sorted, trusted.overlay.* aside: overlay's own bookkeeping) and a content digest.
std::string tree_fingerprint(const std::string& root) {
  std::vector<std::string> lines;
  for (auto it = std::filesystem::recursive_directory_iterator(root); it != std::filesystem::end(it); ++it) {
    std::string path = it->path().string();
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) throw Error(errno, "lstat " + path);
    std::string line = path.substr(root.size()) + " ";
    char mode[16];
    std::snprintf(mode, sizeof mode, "%o", st.st_mode);
    line += std::string(mode) + " " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid);
    if (S_ISLNK(st.st_mode)) line += " -> " + std::filesystem::read_symlink(it->path()).string();
    if (S_ISREG(st.st_mode)) line += " " + sha256_of_file(path).str();
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) line += " dev " + std::to_string(st.st_rdev);
    char names[4096];
    ssize_t n = ::llistxattr(path.c_str(), names, sizeof names);
    std::vector<std::string> xattrs;
    for (ssize_t i = 0; i < n; i += static_cast<ssize_t>(std::strlen(names + i)) + 1) {
      std::string name = names + i;
      if (name.rfind("trusted.overlay.", 0) == 0) continue;
      char value[4096];
      ssize_t vn = ::lgetxattr(path.c_str(), name.c_str(), value, sizeof value);
      xattrs.push_back(name + "=" + std::string(value, vn > 0 ? static_cast<size_t>(vn) : 0));
    }
    std::sort(xattrs.begin(), xattrs.end());
    for (const auto& x : xattrs) line += " [" + x + "]";
    lines.push_back(line);
    if (S_ISLNK(st.st_mode)) it.disable_recursion_pending();
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

TEST_F(RegistryContent, RootfsEqualsUmociUnpackOfTheSameImage) {
  // The fixture image (4 layers: base, a file with a hard link, a whiteout, an opaque dir), through the
  // registry into our store and a container's overlay; umoci unpacks the same layout.
  std::string err = test::build_fixture_layout(tmp_ / "layout", "v1", tmp_ / "scratch");
  ASSERT_EQ(err, "");
  ASSERT_EQ(reg_->push(tmp_ / "layout", "v1", "fixture/busybox:v1"), "");
  Image img = pull_image(paths(), Reference::parse(reg_->host() + "/fixture/busybox:v1"), options());
  auto bundle =
      create_container_rootfs(paths(), "oracle", {img.ref, img.manifest_desc.digest, img.chain_ids});
  std::string out;
  ASSERT_EQ(test::run("umoci unpack --image " + tmp_ / "layout:v1 " + tmp_ / "umoci-bundle", &out), 0) << out;
  std::string ours = tree_fingerprint(bundle.rootfs), theirs = tree_fingerprint(tmp_ / "umoci-bundle/rootfs");
  remove_container_rootfs(paths(), "oracle");
  EXPECT_NE(ours.find("/etc/skiff-test "), std::string::npos);  // the listing is not trivially empty
  EXPECT_EQ(ours.find("/etc/hostname "), std::string::npos);    // whiteout applied
  EXPECT_EQ(ours, theirs);
  if (ours != theirs) {
    test::write_text(tmp_ / "ours", ours);
    test::write_text(tmp_ / "theirs", theirs);
    test::run("diff " + tmp_ / "theirs " + tmp_ / "ours", &out);
    ADD_FAILURE() << "umoci (<) vs ours (>):\n" << out;
  }
}

}  // namespace
}  // namespace skiff::image
