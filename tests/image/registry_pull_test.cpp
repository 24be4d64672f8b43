// Pulls from a real registry (Debian's docker-registry on 127.0.0.1), images pushed into it with skopeo
// from OCI layouts that umoci built from the fixture rootfs.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "blob_store.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "puller.hpp"
#include "reference_index.hpp"
#include "registry_client.hpp"
#include "registry_fixture.hpp"

namespace skiff::image {
namespace {

using test::Registry;
using test::TempDir;

// One layout for the whole test program: umoci's unpack/repack of the fixture is the slow part.
class RegistryPull : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::registry_unavailable_reason().empty()) return;
    layout_dir_ = new TempDir();
    layout_error_ = test::build_fixture_layout((*layout_dir_) / "layout", "v1", (*layout_dir_) / "scratch");
  }
  static void TearDownTestSuite() {
    delete layout_dir_;
    layout_dir_ = nullptr;
  }
  void SetUp() override {
    if (auto why = test::registry_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_EQ(layout_error_, "");
    // Credentials files of whoever runs the tests must not leak in.
    ::setenv("SKIFF_AUTH_FILE", (store_ / "no-auth.json").c_str(), 1);
    ::setenv("XDG_CONFIG_HOME", (store_ / "config").c_str(), 1);
    ::setenv("DOCKER_CONFIG", (store_ / "docker").c_str(), 1);
    ::unsetenv("REGISTRY_AUTH_FILE");
  }
  static std::string layout() { return (*layout_dir_) / "layout"; }

  PullOptions options() {
    PullOptions o;
    o.registry.certs_dir = store_ / "certs.d";
    o.registry.backoff = std::chrono::milliseconds(10);
    return o;
  }
  StorePaths paths() { return StorePaths{store_ / "store"}; }

  static inline TempDir* layout_dir_ = nullptr;
  static inline std::string layout_error_;
  TempDir store_;
};

std::string slurp(const std::string& p) {
  return skiff::read_file(p);
}
bool exists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}
size_t count_entries(const std::string& dir) {
  std::string out;
  test::run("ls -A " + dir + " | wc -l", &out);
  return static_cast<size_t>(std::atoi(out.c_str()));
}

TEST_F(RegistryPull, PullsOverPlainHttpIntoTheStore) {
  Registry reg;
  ASSERT_EQ(reg.push(layout(), "v1", "fixture/busybox:v1"), "");
  auto ref = Reference::parse(reg.host() + "/fixture/busybox:v1");
  PullStats stats;
  Image img = pull_image(paths(), ref, options(), &stats);
  EXPECT_EQ(img.manifest.layers.size(), 4u);
  EXPECT_EQ(stats.layers_downloaded, 4u);
  EXPECT_EQ(stats.layers_extracted, 4u);
  EXPECT_EQ(img.config.cmd, (std::vector<std::string>{"/bin/sh", "-c", "echo hello-from-image"}));
  EXPECT_EQ(img.config.working_dir, "/opt");
  // Everything the reference points to is in the store, verified.
  BlobStore blobs(paths());
  EXPECT_TRUE(blobs.has(img.manifest_desc.digest));
  EXPECT_TRUE(blobs.has(img.manifest.config.digest));
  for (auto& l : img.manifest.layers) EXPECT_EQ(sha256_of_file(blobs.path(l.digest)), l.digest);
  auto rec = ReferenceIndex(paths()).find(ref.str());
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->manifest.digest, img.manifest_desc.digest);
  // Layer contents: layer 2 has the new file, layer 3 a whiteout, layer 4 an opaque directory.
  auto layer = [&](size_t i) { return paths().layer(img.chain_ids[i]); };
  EXPECT_EQ(slurp(layer(1) + "/etc/skiff-test"), "skiff-layer-two\n");
  struct stat st {};
  ASSERT_EQ(::lstat((layer(2) + "/etc/hostname").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, 0u);
  char v[4] = {0};
  EXPECT_EQ(::lgetxattr((layer(3) + "/opt/data").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  EXPECT_EQ(v[0], 'y');
  // Nothing left in tmp/ (no partials, no half layers).
  EXPECT_EQ(count_entries(paths().tmp()), 0u);
  // A local lookup finds it by reference and by id prefix.
  EXPECT_TRUE(find_local_image(paths(), ref.str()));
  EXPECT_TRUE(find_local_image(paths(), std::string(img.manifest_desc.digest.hex().substr(0, 12))));
}

TEST_F(RegistryPull, SecondPullDownloadsAndExtractsNothing) {
  Registry reg;
  ASSERT_EQ(reg.push(layout(), "v1", "fixture/busybox:v1"), "");
  auto ref = Reference::parse(reg.host() + "/fixture/busybox:v1");
  pull_image(paths(), ref, options());
  PullStats again;
  pull_image(paths(), ref, options(), &again);
  EXPECT_EQ(again.layers_downloaded, 0u);
  EXPECT_EQ(again.layers_extracted, 0u);
}

TEST_F(RegistryPull, PullsZstdLayers) {
  Registry reg;
  ASSERT_EQ(reg.push(layout(), "v1", "fixture/zstd:v1", /*zstd=*/true), "");
  auto ref = Reference::parse(reg.host() + "/fixture/zstd:v1");
  Image img = pull_image(paths(), ref, options());
  EXPECT_EQ(img.manifest.layers[0].media_type, media::kOciLayerZstd);
  EXPECT_EQ(slurp(paths().layer(img.chain_ids[1]) + "/etc/skiff-test"), "skiff-layer-two\n");
}

TEST_F(RegistryPull, UnknownTagAndUnknownRepositoryAreClearErrors) {
  Registry reg;
  ASSERT_EQ(reg.push(layout(), "v1", "fixture/busybox:v1"), "");
  try {
    pull_image(paths(), Reference::parse(reg.host() + "/fixture/busybox:nope"), options());
    FAIL() << "pulled an unknown tag";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fixture/busybox:nope not found"), std::string::npos) << e.what();
  }
  EXPECT_THROW(pull_image(paths(), Reference::parse(reg.host() + "/no/such:v1"), options()), NotFoundError);
  EXPECT_FALSE(exists(paths().index_json()) && !ReferenceIndex(paths()).list().empty());
}

TEST_F(RegistryPull, RegistryDownIsAnErrorNamingIt) {
  int port = test::free_loopback_port();
  std::string host = "127.0.0.1:" + std::to_string(port);
  auto o = options();
  o.registry.attempts = 2;
  try {
    pull_image(paths(), Reference::parse(host + "/x/y:z"), o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(host), std::string::npos) << e.what();
  }
}

TEST_F(RegistryPull, InterruptedDownloadResumesWithRange) {
  Registry reg;
  ASSERT_EQ(reg.push(layout(), "v1", "fixture/busybox:v1"), "");
  auto ref = Reference::parse(reg.host() + "/fixture/busybox:v1");
  RegistryClient client(ref.registry, ref.repository, options().registry);
  auto top = client.get_manifest("v1");
  Manifest m = parse_manifest(top.body, "m");
  const Descriptor& big = m.layers[0];
  ASSERT_GT(big.size, 100000);
  // A partial download as a killed pull leaves it: the first half of the blob in tmp/.
  std::string whole;
  {
    TempDir t;
    StorePaths other{t / "s"};
    BlobStore ob(other);
    auto ing = ob.begin(big.digest, big.size);
    client.fetch_blob(big, *ing);
    whole = slurp(ob.path(big.digest));
  }
  BlobStore blobs(paths());
  paths().ensure();
  std::string partial = paths().tmp() + "/" + std::string(big.digest.hex()) + ".partial";
  test::write_text(partial, whole.substr(0, whole.size() / 2), 0600);
  auto ingest = blobs.begin(big.digest, big.size);
  ASSERT_TRUE(ingest);
  EXPECT_EQ(ingest->offset(), static_cast<int64_t>(whole.size() / 2));
  int64_t first_report = -1;
  client.fetch_blob(big, *ingest, [&](int64_t done) {
    if (first_report < 0) first_report = done;
  });
  EXPECT_GT(first_report, static_cast<int64_t>(whole.size() / 2));  // continued, did not restart
  EXPECT_EQ(sha256_of_file(blobs.path(big.digest)), big.digest);
}

TEST_F(RegistryPull, CorruptBlobIsAnErrorNamingBothDigests) {
  Registry reg;
  ASSERT_EQ(reg.push(layout(), "v1", "fixture/busybox:v1"), "");
  auto ref = Reference::parse(reg.host() + "/fixture/busybox:v1");
  RegistryClient client(ref.registry, ref.repository, options().registry);
  Manifest m = parse_manifest(client.get_manifest("v1").body, "m");
  // Corrupt the layer's data inside the registry's storage (same size, other bytes).
  std::string out;
  test::run("find " + reg.ca_file().substr(0, reg.ca_file().rfind('/')) + "/storage -path '*" +
                std::string(m.layers[1].digest.hex()) + "/data'",
            &out);
  std::string data_path = out.substr(0, out.find('\n'));
  ASSERT_FALSE(data_path.empty());
  std::string bytes = slurp(data_path);
  bytes[bytes.size() / 2] ^= 0x55;
  test::write_text(data_path, bytes);
  try {
    pull_image(paths(), ref, options());
    FAIL() << "pulled a corrupt blob";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(m.layers[1].digest.str()), std::string::npos) << msg;
    EXPECT_NE(msg.find("got sha256:"), std::string::npos) << msg;
  }
  // The store is as before: no reference, no partial for the corrupt blob, no layer from it.
  EXPECT_FALSE(ReferenceIndex(paths()).find(ref.str()));
  EXPECT_FALSE(BlobStore(paths()).has(m.layers[1].digest));
  EXPECT_FALSE(exists(paths().tmp() + "/" + std::string(m.layers[1].digest.hex()) + ".partial"));
  // Nor the good layers pulled alongside the corrupt one: what the failed pull added is taken back.
  EXPECT_EQ(test::list_dir(paths().layers()), std::vector<std::string>{});
  EXPECT_EQ(test::list_dir(paths().blobs()), std::vector<std::string>{});
}

TEST_F(RegistryPull, BasicAuthWithCredentialsFile) {
  test::RegistryConfig cfg;
  cfg.htpasswd_user = "alice";
  cfg.htpasswd_password = "s3cret";
  Registry reg(cfg);
  ASSERT_EQ(reg.push(layout(), "v1", "private/busybox:v1"), "");
  auto ref = Reference::parse(reg.host() + "/private/busybox:v1");
  // No credentials: a clear error.
  try {
    pull_image(paths(), ref, options());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("requires a user name and password"), std::string::npos) << e.what();
  }
  // Wrong ones: another clear error.
  std::string authfile = store_ / "auth.json";
  ::setenv("SKIFF_AUTH_FILE", authfile.c_str(), 1);
  test::write_text(
      authfile, R"({"auths":{")" + reg.host() + R"(":{"auth":")" + base64_encode("alice:wrong") + R"("}}})");
  try {
    pull_image(paths(), ref, options());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("authentication failed"), std::string::npos) << e.what();
  }
  // Docker's config.json shape, right password.
  ::unsetenv("SKIFF_AUTH_FILE");
  mkdir_all(store_ / "docker");
  test::write_text(store_ / "docker/config.json", R"({"auths":{"http://)" + reg.host() + R"(/":{"auth":")" +
                                                      base64_encode("alice:s3cret") + R"("}}})");
  Image img = pull_image(paths(), ref, options());
  EXPECT_EQ(img.manifest.layers.size(), 4u);
}

TEST_F(RegistryPull, BearerTokenFromATokenService) {
  test::TokenIssuer issuer("bob", "t0ken-pass");
  test::RegistryConfig cfg;
  cfg.token_realm = issuer.realm();
  cfg.token_cert = issuer.cert_file();
  Registry reg(cfg);
  reg.push_creds = "bob:t0ken-pass";
  ASSERT_EQ(reg.push(layout(), "v1", "tok/busybox:v1"), "") << reg.log();
  auto ref = Reference::parse(reg.host() + "/tok/busybox:v1");
  // Anonymous: the token service refuses, and the error says so.
  try {
    pull_image(paths(), ref, options());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("refused anonymous access"), std::string::npos) << e.what();
  }
  auto o = options();
  o.registry.credentials = Credentials{"bob", "t0ken-pass", ""};
  int before = issuer.issued();
  Image img = pull_image(paths(), ref, o);
  EXPECT_EQ(img.manifest.layers.size(), 4u);
  // One token for the whole pull (shared by the parallel layer downloads), not one per request.
  EXPECT_LE(issuer.issued() - before, 2);
  EXPECT_GE(issuer.issued() - before, 1);
}

TEST_F(RegistryPull, TlsWithCaFromCertsD) {
  test::RegistryConfig cfg;
  cfg.tls = true;
  Registry reg(cfg);
  ASSERT_EQ(reg.push(layout(), "v1", "tls/busybox:v1"), "");
  auto ref = Reference::parse(reg.host() + "/tls/busybox:v1");
  auto o = options();
  o.registry.attempts = 1;
  // Without the CA the certificate is not trusted, and a CA-configured registry is never tried over
  // plain HTTP: the error is the TLS failure.
  mkdir_all(o.registry.certs_dir + "/" + reg.host());
  test::write_text(o.registry.certs_dir + "/" + reg.host() + "/ca.crt",
                   slurp("/etc/ssl/certs/ca-certificates.crt"));
  try {
    pull_image(paths(), ref, o);
    FAIL() << "trusted an unknown CA";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("https://" + reg.host()), std::string::npos) << e.what();
  }
  test::write_text(o.registry.certs_dir + "/" + reg.host() + "/ca.crt", slurp(reg.ca_file()));
  Image img = pull_image(paths(), ref, o);
  EXPECT_EQ(img.manifest.layers.size(), 4u);
}

}  // namespace
}  // namespace skiff::image
