// `skiff image load` of `docker save` tars in the shapes Docker writes them, built by these tests from
// the fixture OCI layout (no Docker engine runs here): Docker 25 and later (an OCI layout inside the
// tar, names in index.json annotations, beside the legacy manifest.json and repositories), and the
// legacy shape with several images and several RepoTags, all of which `docker load` tags.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "digest.hpp"
#include "file_util.hpp"
#include "registry_fixture.hpp"

namespace skiff::image {
namespace {

using json = nlohmann::json;
using test::TempDir;

// One image of a save tar: its config (JSON text) and the names it is saved under.
struct SavedImage {
  std::string config;
  std::vector<std::string> repo_tags;  // familiar names, as RepoTags has them ("fixture/a:v1")
};

std::string hex_of(const Digest& d) {
  return std::string(d.hex());
}

class DockerArchive : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!why_not().empty()) return;
    s_ = new Shared();
    s_->error = test::build_fixture_layout(s_->dir / "layout", "v1", s_->dir / "scratch");
    if (!s_->error.empty()) return;
    // The fixture's config and its layers uncompressed (Docker keeps layers as plain tars).
    std::string layout = s_->dir / "layout";
    auto index = json::parse(read_file(layout + "/index.json"));
    std::string mhex = index["manifests"][0]["digest"].get<std::string>().substr(7);
    auto manifest = json::parse(read_file(layout + "/blobs/sha256/" + mhex));
    s_->config =
        read_file(layout + "/blobs/sha256/" + manifest["config"]["digest"].get<std::string>().substr(7));
    int i = 0;
    for (const auto& l : manifest["layers"]) {
      std::string out = s_->dir / ("layer" + std::to_string(i++) + ".tar");
      if (test::run("gzip -dc " + layout + "/blobs/sha256/" + l["digest"].get<std::string>().substr(7) +
                    " > " + out) != 0)
        s_->error = "gzip -dc of a fixture layer failed";
      s_->layers.push_back(out);
    }
  }
  static void TearDownTestSuite() {
    delete s_;
    s_ = nullptr;
  }
  static std::string why_not() {
    if (::geteuid() != 0) return "needs root (umoci unpack of the fixture, overlay mounts for skiff run)";
    if (test::find_tool("umoci").empty()) return "umoci is not installed (builds the fixture image)";
    if (::access((test::fixture_rootfs() + "/bin/busybox").c_str(), X_OK) != 0)
      return "fixture rootfs not built at " + test::fixture_rootfs();
    return {};
  }
  void SetUp() override {
    if (auto why = why_not(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_EQ(s_->error, "");
  }

  int skiff(const std::string& args, std::string* out = nullptr) {
    std::string cmd = "SKIFF_IMAGE_STORE=" + tmp_ / "store" + " SKIFF_RUNTIME_ROOT=" + tmp_ / "state" + " " +
                      SKIFF_BINARY + " " + args;
    return test::run(cmd + " </dev/null", out);
  }
  // The fixture's config with Cmd replaced: another image over the same layers.
  static std::string config_with_cmd(const std::vector<std::string>& cmd) {
    auto c = json::parse(s_->config);
    c["config"]["Cmd"] = cmd;
    return c.dump();
  }

  // Writes `dir` as a save tar's members for `images` (each over the fixture's layers): blobs under
  // blobs/sha256/, manifest.json pointing there, repositories, and with `oci` the OCI layout Docker 25+
  // adds (oci-layout, index.json with one entry per tag, OCI manifests with uncompressed layers), then
  // tars it to `tar`.
  // With `oci_layers` false, the OCI manifests list no layer, as Docker 25.0 wrote them (only "foreign"
  // layers went there).
  void write_save_tar(const std::vector<SavedImage>& images, bool oci, const std::string& tar,
                      bool oci_layers = true) {
    std::string dir = tmp_ / "save";
    mkdir_all(dir + "/blobs/sha256", 0755);
    json legacy = json::array(), index_entries = json::array(), repositories = json::object();
    std::vector<std::string> layer_paths;
    json layer_descs = json::array();
    std::string top;
    for (const auto& f : s_->layers) {
      Digest d = sha256_of_file(f);
      std::string p = dir + "/blobs/sha256/" + hex_of(d);
      if (::access(p.c_str(), F_OK) != 0) {
        ASSERT_EQ(test::run("cp " + f + " " + p), 0);
      }
      struct stat st {};
      ::stat(p.c_str(), &st);
      layer_paths.push_back("blobs/sha256/" + hex_of(d));
      layer_descs.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                             {"digest", d.str()},
                             {"size", st.st_size}});
      top = hex_of(d);
    }
    // Docker also saves a v1-style JSON per layer: blobs the loader has to ignore.
    test::write_text(dir + "/blobs/sha256/" + hex_of(sha256_of("{\"id\":\"legacy\"}")),
                     "{\"id\":\"legacy\"}");
    for (const auto& img : images) {
      Digest cd = sha256_of(img.config);
      test::write_text(dir + "/blobs/sha256/" + hex_of(cd), img.config);
      legacy.push_back({{"Config", "blobs/sha256/" + hex_of(cd)},
                        {"RepoTags", img.repo_tags},
                        {"Layers", layer_paths},
                        {"LayerSources", json::object()}});
      json m = {{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                {"config",
                 {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                  {"digest", cd.str()},
                  {"size", img.config.size()}}},
                {"layers", oci_layers ? layer_descs : json::array()}};
      std::string mtext = m.dump();
      Digest md = sha256_of(mtext);
      if (oci) test::write_text(dir + "/blobs/sha256/" + hex_of(md), mtext);
      for (const auto& t : img.repo_tags) {
        std::string name = t.substr(0, t.rfind(':')), tag = t.substr(t.rfind(':') + 1);
        repositories[name][tag] = top;
        std::string full = (name.find('/') == std::string::npos ? "docker.io/library/" : "docker.io/") + t;
        index_entries.push_back(
            {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
             {"digest", md.str()},
             {"size", mtext.size()},
             {"annotations",
              {{"io.containerd.image.name", full}, {"org.opencontainers.image.ref.name", tag}}}});
      }
    }
    test::write_text(dir + "/manifest.json", legacy.dump() + "\n");
    test::write_text(dir + "/repositories", repositories.dump() + "\n");
    if (oci) {
      test::write_text(dir + "/oci-layout", R"({"imageLayoutVersion": "1.0.0"})");
      test::write_text(dir + "/index.json", json({{"schemaVersion", 2},
                                                  {"mediaType", "application/vnd.oci.image.index.v1+json"},
                                                  {"manifests", index_entries}})
                                                .dump());
    }
    ASSERT_EQ(test::run("tar -C " + dir + " -cf " + tar + " . && rm -rf " + dir), 0);
  }
  std::string manifest_of(const std::string& ref) {
    std::string out;
    if (skiff("image inspect " + ref, &out) != 0) return "not found: " + out;
    return json::parse(out)["manifest"];
  }
  // Nothing half-loaded: the store's tmp/ is empty.
  std::string store_tmp_entries() {
    std::string out;
    test::run("ls -A " + tmp_ / "store/tmp 2>/dev/null", &out);
    return out;
  }

  struct Shared {
    TempDir dir;
    std::string error, config;
    std::vector<std::string> layers;
  };
  static inline Shared* s_ = nullptr;
  TempDir tmp_;
};

TEST_F(DockerArchive, Docker25ShapeBuiltByTheTestLoadsEveryTagUnderItsFullName) {
  std::string tar = tmp_ / "docker25.tar", out;
  write_save_tar({{s_->config, {"fixture/docker25:v1", "fixture/docker25:latest"}},
                  {config_with_cmd({"echo", "from-busybox-named"}), {"busybox:1.36"}}},
                 /*oci=*/true, tar);
  ASSERT_EQ(skiff("image load -i " + tar, &out), 0) << out;
  // Names from io.containerd.image.name (not localhost/docker25:<tag> from the bare ref.name).
  EXPECT_NE(out.find("loaded docker.io/fixture/docker25:v1 ("), std::string::npos) << out;
  EXPECT_NE(out.find("loaded docker.io/fixture/docker25:latest ("), std::string::npos) << out;
  EXPECT_NE(out.find("loaded docker.io/library/busybox:1.36 ("), std::string::npos) << out;
  EXPECT_EQ(out.find("localhost/"), std::string::npos) << out;
  EXPECT_EQ(manifest_of("fixture/docker25:v1"), manifest_of("fixture/docker25:latest"));
  EXPECT_NE(manifest_of("fixture/docker25:v1"), manifest_of("busybox:1.36"));
  ASSERT_EQ(skiff("run --rm fixture/docker25:latest sh -c 'cat /etc/skiff-test; ls /opt/data'", &out), 0)
      << out;
  EXPECT_EQ(out, "skiff-layer-two\nc\n");
  ASSERT_EQ(skiff("run --rm busybox:1.36", &out), 0) << out;
  EXPECT_EQ(out, "from-busybox-named\n");
  EXPECT_EQ(store_tmp_entries(), "");
}

TEST_F(DockerArchive, Docker25_0ShapeWithLayerlessOciManifestsLoadsFromManifestJson) {
  std::string tar = tmp_ / "docker25.0.tar", out;
  write_save_tar({{s_->config, {"fixture/docker250:v1"}}}, /*oci=*/true, tar, /*oci_layers=*/false);
  ASSERT_EQ(skiff("image load -i " + tar, &out), 0) << out;
  EXPECT_NE(out.find("loaded docker.io/fixture/docker250:v1 ("), std::string::npos) << out;
  ASSERT_EQ(skiff("run --rm fixture/docker250:v1 sh -c 'cat /etc/skiff-test; ls /opt/data'", &out), 0) << out;
  EXPECT_EQ(out, "skiff-layer-two\nc\n");
  EXPECT_EQ(store_tmp_entries(), "");
}

TEST_F(DockerArchive, Docker25ShapeRefPicksOneImageAndNameRenamesIt) {
  std::string tar = tmp_ / "docker25.tar", out;
  write_save_tar({{s_->config, {"fixture/docker25:v1"}}, {config_with_cmd({"true"}), {"fixture/other:v1"}}},
                 /*oci=*/true, tar);
  // Both images are tagged "v1" in org.opencontainers.image.ref.name: the full name tells them apart.
  ASSERT_EQ(skiff("image load -i " + tar + " --ref fixture/other:v1 --name mine:v2", &out), 0) << out;
  EXPECT_NE(out.find("loaded docker.io/library/mine:v2"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(manifest_of("fixture/docker25:v1").rfind("not found", 0), std::string::npos);
  // A bare tag that several images have, with --name: an error naming the problem, nothing loaded.
  EXPECT_NE(skiff("image load -i " + tar + " --ref v1 --name again:v1", &out), 0);
  EXPECT_NE(out.find("--name needs one image, the archive has 2"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(skiff("image load -i " + tar + " --ref fixture/nothing:v1", &out), 0);
  EXPECT_NE(out.find("no image named \"fixture/nothing:v1\""), std::string::npos) << out;
  EXPECT_NE(out.find("docker.io/fixture/docker25:v1"), std::string::npos) << out;  // lists what there is
  EXPECT_NE(manifest_of("again:v1").rfind("not found", 0), std::string::npos);
  EXPECT_EQ(store_tmp_entries(), "");
}

TEST_F(DockerArchive, LegacySaveWithSeveralImagesAndTagsLoadsThemAllAsDockerLoadDoes) {
  std::string tar = tmp_ / "legacy.tar", out;
  write_save_tar({{s_->config, {"fixture/a:v1", "fixture/a:v2"}},
                  {config_with_cmd({"echo", "image-b"}), {"fixture/b:v1"}}},
                 /*oci=*/false, tar);
  ASSERT_EQ(skiff("image load -i " + tar, &out), 0) << out;
  for (const char* ref : {"docker.io/fixture/a:v1", "docker.io/fixture/a:v2", "docker.io/fixture/b:v1"})
    EXPECT_NE(out.find(std::string("loaded ") + ref + " ("), std::string::npos) << ref << ": " << out;
  EXPECT_EQ(manifest_of("fixture/a:v1"), manifest_of("fixture/a:v2"));
  ASSERT_EQ(skiff("run --rm fixture/b:v1", &out), 0) << out;
  EXPECT_EQ(out, "image-b\n");
  ASSERT_EQ(skiff("run --rm fixture/a:v2", &out), 0) << out;
  EXPECT_EQ(out, "hello-from-image\n");
  // The layers are shared: four layer directories for the three references.
  test::run("ls " + tmp_ / "store/layers | wc -l", &out);
  EXPECT_EQ(std::atoi(out.c_str()), static_cast<int>(s_->layers.size()));
  // --name with several images is refused before anything is stored.
  TempDir other;
  EXPECT_NE(test::run("SKIFF_IMAGE_STORE=" + other / "store " + SKIFF_BINARY + " image load -i " + tar +
                          " --name x:y </dev/null",
                      &out),
            0);
  EXPECT_NE(out.find("--name needs one image, the archive has 2 (pick one with --ref)"), std::string::npos)
      << out;
  test::run("ls -A " + other / "store/layers " + other / "store/tmp 2>/dev/null | grep -v :$ | grep -c .",
            &out);
  EXPECT_EQ(std::atoi(out.c_str()), 0);
}

}  // namespace
}  // namespace skiff::image
