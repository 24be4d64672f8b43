#include <gtest/gtest.h>

#include "digest.hpp"
#include "error.hpp"
#include "manifest.hpp"
#include "reference.hpp"

using skiff::image::Digest;
using skiff::image::Reference;

TEST(Reference, ShortNameMeansDockerHubLibraryLatest) {
  auto r = Reference::parse("busybox");
  EXPECT_EQ(r.registry, "docker.io");
  EXPECT_EQ(r.repository, "library/busybox");
  EXPECT_EQ(r.tag, "latest");
  EXPECT_EQ(r.str(), "docker.io/library/busybox:latest");
  EXPECT_EQ(r.api_host(), "registry-1.docker.io");
}

TEST(Reference, UserRepoOnHubKeepsNamespace) {
  EXPECT_EQ(Reference::parse("foo/bar:1.2").str(), "docker.io/foo/bar:1.2");
  EXPECT_EQ(Reference::parse("index.docker.io/foo/bar").str(), "docker.io/foo/bar:latest");
}

TEST(Reference, HostPortRepoTag) {
  auto r = Reference::parse("127.0.0.1:5000/a/b-c_d.e:v1.0-rc1");
  EXPECT_EQ(r.registry, "127.0.0.1:5000");
  EXPECT_EQ(r.repository, "a/b-c_d.e");
  EXPECT_EQ(r.tag, "v1.0-rc1");
  EXPECT_TRUE(r.is_loopback());
  EXPECT_FALSE(Reference::parse("example.com/x").is_loopback());
  EXPECT_TRUE(Reference::parse("localhost/x").is_loopback());
  EXPECT_EQ(Reference::parse("localhost:5000/x").registry, "localhost:5000");
}

TEST(Reference, Digest) {
  std::string d = "sha256:" + std::string(64, 'a');
  auto r = Reference::parse("quay.io/x/y@" + d);
  EXPECT_EQ(r.tag, "");
  EXPECT_EQ(r.digest, d);
  EXPECT_EQ(r.manifest_ref(), d);
  EXPECT_EQ(r.str(), "quay.io/x/y@" + d);
  auto both = Reference::parse("x:1@" + d);
  EXPECT_EQ(both.tag, "1");
  EXPECT_EQ(both.manifest_ref(), d);
}

TEST(Reference, MalformedIsAClearError) {
  for (const char* bad : {"", "Busybox", "busybox:", "busybox@sha256:abc", "a//b", "-a", "a:b:c", "a@md5:00",
                          "host:port/x", "x/.y", "x:" /* empty tag */}) {
    try {
      Reference::parse(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const skiff::Error& e) {
      EXPECT_NE(std::string(e.what()).find("invalid reference"), std::string::npos) << e.what();
    }
  }
  try {
    Reference::parse("Busybox");
  } catch (const skiff::Error& e) {
    EXPECT_NE(std::string(e.what()).find("lowercase"), std::string::npos) << e.what();
  }
}

TEST(Digest, Sha256OfKnownInputs) {
  EXPECT_EQ(skiff::image::sha256_of("").str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  skiff::image::Sha256 h;
  h.update("a");
  h.update("bc");
  EXPECT_EQ(h.finish().str(), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_THROW(Digest::parse("sha256:ABC"), skiff::Error);
  EXPECT_THROW(Digest::parse("sha512:" + std::string(128, '0')), skiff::Error);
}

TEST(Manifest, ChainIdsFollowTheImageSpec) {
  auto a = skiff::image::sha256_of("a"), b = skiff::image::sha256_of("b");
  auto c = skiff::image::chain_ids({a, b});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], a);
  EXPECT_EQ(c[1], skiff::image::sha256_of(a.str() + " " + b.str()));
}

TEST(Manifest, PlatformSelectionPrefersExactVariant) {
  using namespace skiff::image;
  Index ix;
  auto mk = [](std::string arch, std::string variant, char fill) {
    Descriptor d;
    d.media_type = media::kOciManifest;
    d.digest = Digest::parse("sha256:" + std::string(64, fill));
    d.size = 1;
    d.platform = Platform{"linux", arch, variant};
    return d;
  };
  ix.manifests = {mk("amd64", "", 'a'), mk("arm", "v6", 'b'), mk("arm", "v7", 'c'), mk("arm64", "v8", 'd')};
  EXPECT_EQ(select_platform(ix, Platform::parse("linux/arm/v7"), "x").digest.hex()[0], 'c');
  EXPECT_EQ(select_platform(ix, Platform::parse("linux/amd64"), "x").digest.hex()[0], 'a');
  EXPECT_EQ(select_platform(ix, Platform::parse("linux/arm64"), "x").digest.hex()[0], 'd');
  try {
    select_platform(ix, Platform::parse("linux/s390x"), "idx");
    ADD_FAILURE();
  } catch (const skiff::Error& e) {
    EXPECT_NE(std::string(e.what()).find("linux/arm/v7"), std::string::npos) << e.what();
  }
}
