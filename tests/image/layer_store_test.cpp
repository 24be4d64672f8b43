// LayerStore::fetch_and_unpack: a layer blob written and extracted in one pass. The "fetch" here is the
// test's own transfer (the registry client's place): it writes the blob in pieces into the ingest, so
// that a test can start over midway, send the wrong bytes, or fail, and check the store afterwards.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob_store.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "layer_store.hpp"
#include "reference_index.hpp"
#include "store_gc.hpp"
#include "tar_builder.hpp"
#include "test_util.hpp"

using namespace skiff::image;
using skiff::image::test::tar_dir;
using skiff::image::test::tar_file;
using skiff::image::test::tar_symlink;
using skiff::image::test::TempDir;

namespace {

bool exists(const std::string& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}

// A layer big enough to need many pieces through the socket (several MiB of incompressible-ish data).
std::vector<test::TarEntry> big_layer() {
  std::vector<test::TarEntry> e{tar_dir("./"), tar_dir("usr"), tar_dir("usr/lib")};
  std::string data;
  uint32_t x = 12345;
  for (int i = 0; i < 3 << 20; ++i) {
    x = x * 1103515245 + 12345;
    data.push_back(static_cast<char>(x >> 24));
  }
  for (int i = 0; i < 4; ++i)
    e.push_back(tar_file("usr/lib/blob" + std::to_string(i), data.substr(i * 1000)));
  e.push_back(tar_symlink("usr/lib/link", "blob0"));
  return e;
}

struct Layer {
  Descriptor desc;
  Digest diff_id;
  std::string blob;
};

Layer make_layer(const std::vector<test::TarEntry>& e) {
  Layer l;
  l.blob = test::make_tar(e, "gzip");
  l.desc.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
  l.desc.digest = sha256_of(l.blob);
  l.desc.size = static_cast<int64_t>(l.blob.size());
  l.diff_id = sha256_of(test::make_plain_tar(e));
  return l;
}

// Writes `data` into the ingest in 64 KiB pieces, as a transfer does.
void send_pieces(BlobIngest& in, const std::string& data, size_t from = 0, size_t to = std::string::npos) {
  to = std::min(to, data.size());
  for (size_t i = from; i < to; i += 64 << 10) in.write(data.data() + i, std::min<size_t>(64 << 10, to - i));
}

class LayerStreaming : public ::testing::Test {
 protected:
  TempDir t;
  StorePaths paths{t / "store"};
  BlobStore blobs{paths};
  LayerStore layers{paths, blobs};
  UnpackOptions opts() {
    UnpackOptions o;
    o.rootless = ::geteuid() != 0;
    return o;
  }
  void expect_nothing_left(const Layer& l, const Digest& chain) {
    EXPECT_FALSE(layers.has(chain));
    EXPECT_FALSE(blobs.has(l.desc.digest));
    for (auto& e : test::list_dir(paths.tmp()))
      EXPECT_EQ(e.rfind("layer-", 0), std::string::npos) << "extraction left behind: " << e;
  }
};

}  // namespace

TEST_F(LayerStreaming, ExtractsWhileTheBlobArrivesAndStoresBoth) {
  Layer l = make_layer(big_layer());
  Digest chain = l.diff_id;  // a bottom layer's chainID is its diffID
  ExtractResult r;
  bool extracted = layers.fetch_and_unpack(
      l.desc, l.diff_id, chain, opts(),
      [&](BlobIngest& in) {
        send_pieces(in, l.blob);
        in.commit();
        EXPECT_TRUE(in.tee_complete()) << "every byte went to the extraction";
      },
      &r);
  EXPECT_TRUE(extracted);
  EXPECT_EQ(r.diff_id, l.diff_id);
  ASSERT_TRUE(layers.has(chain));
  EXPECT_TRUE(blobs.has(l.desc.digest));
  std::string layer = paths.layer(chain);
  EXPECT_EQ(skiff::read_file(layer + "/usr/lib/blob3").size(), (3u << 20) - 3000);
  char target[16] = {};
  ASSERT_GT(::readlink((layer + "/usr/lib/link").c_str(), target, sizeof target), 0);
  EXPECT_STREQ(target, "blob0");
  EXPECT_TRUE(test::list_dir(paths.tmp()).empty()) << "no partial blob, lock or extraction dir left";

  // A second call finds the layer and fetches nothing.
  bool fetched = false;
  EXPECT_FALSE(
      layers.fetch_and_unpack(l.desc, l.diff_id, chain, opts(), [&](BlobIngest&) { fetched = true; }));
  EXPECT_FALSE(fetched);
}

TEST_F(LayerStreaming, TransferThatStartsOverMidwayIsExtractedFromTheStoredBlob) {
  Layer l = make_layer(big_layer());
  Digest chain = l.diff_id;
  bool tee_broke = false;
  ExtractResult r;
  EXPECT_TRUE(layers.fetch_and_unpack(
      l.desc, l.diff_id, chain, opts(),
      [&](BlobIngest& in) {
        send_pieces(in, l.blob, 0, l.blob.size() / 2);
        in.restart();  // a server that ignored Range after a dropped connection: the bytes come again
        send_pieces(in, l.blob);
        in.commit();
        tee_broke = !in.tee_complete();
      },
      &r));
  EXPECT_TRUE(tee_broke) << "the extraction must not have used a stream with the first half twice";
  EXPECT_EQ(r.diff_id, l.diff_id);
  ASSERT_TRUE(layers.has(chain));
  EXPECT_EQ(skiff::read_file(paths.layer(chain) + "/usr/lib/blob0").size(), 3u << 20);
}

TEST_F(LayerStreaming, WrongBytesAreADigestErrorAndLeaveNothing) {
  Layer l = make_layer(big_layer());
  auto other_entries = big_layer();
  other_entries.push_back(tar_file("evil", "x"));
  Layer other = make_layer(other_entries);  // a valid layer, but not the one the descriptor names
  Descriptor d = l.desc;
  d.size = other.desc.size;
  try {
    layers.fetch_and_unpack(d, other.diff_id, other.diff_id, opts(), [&](BlobIngest& in) {
      send_pieces(in, other.blob);
      in.commit();
    });
    FAIL() << "stored a layer whose blob does not match its digest";
  } catch (const skiff::Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(l.desc.digest.str()), std::string::npos) << msg;
    EXPECT_NE(msg.find(other.desc.digest.str()), std::string::npos) << msg;
  }
  expect_nothing_left(l, other.diff_id);
}

TEST_F(LayerStreaming, HostileLayerIsTheExtractionsErrorAndLeavesNothing) {
  auto e = big_layer();
  e.push_back(tar_file("../escape", "x"));
  Layer l = make_layer(e);
  try {
    layers.fetch_and_unpack(l.desc, l.diff_id, l.diff_id, opts(), [&](BlobIngest& in) {
      send_pieces(in, l.blob);
      in.commit();
    });
    FAIL() << "extracted a layer with a \"..\" entry";
  } catch (const skiff::Error& err) {
    EXPECT_NE(std::string(err.what()).find("hostile layer"), std::string::npos) << err.what();
  }
  expect_nothing_left(l, l.diff_id);
  EXPECT_FALSE(exists(t / "escape"));
  EXPECT_FALSE(exists(t / "store/escape"));
}

TEST_F(LayerStreaming, FailedTransferLeavesNoHalfLayer) {
  Layer l = make_layer(big_layer());
  try {
    layers.fetch_and_unpack(l.desc, l.diff_id, l.diff_id, opts(), [&](BlobIngest& in) {
      send_pieces(in, l.blob, 0, l.blob.size() / 3);
      throw skiff::Error("connection reset");
    });
    FAIL();
  } catch (const skiff::Error& err) {
    EXPECT_STREQ(err.what(), "connection reset");
  }
  expect_nothing_left(l, l.diff_id);
}

// What a failed pull added goes; what an image in the store (or a container) uses stays, even when
// the failed pull listed it.
TEST_F(LayerStreaming, FailedPullTakesBackOnlyWhatNothingReferences) {
  auto fetch_whole = [](const Layer& l) {
    return [&l](BlobIngest& in) {
      send_pieces(in, l.blob);
      in.commit();
    };
  };
  Layer shared = make_layer(big_layer());
  auto other_entries = big_layer();
  other_entries.push_back(tar_file("only-in-the-failed-image", "x"));
  Layer own = make_layer(other_entries);
  ASSERT_TRUE(
      layers.fetch_and_unpack(shared.desc, shared.diff_id, shared.diff_id, opts(), fetch_whole(shared)));
  ASSERT_TRUE(layers.fetch_and_unpack(own.desc, own.diff_id, own.diff_id, opts(), fetch_whole(own)));
  // An image in the store that uses `shared`.
  std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[")" +
                       shared.diff_id.str() + R"("]}})";
  Digest config_digest = blobs.put_new(config);
  std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
      config_digest.str() + R"(","size":)" + std::to_string(config.size()) +
      R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
      shared.desc.digest.str() + R"(","size":)" + std::to_string(shared.desc.size) + "}]}";
  Descriptor md;
  md.media_type = "application/vnd.oci.image.manifest.v1+json";
  md.digest = blobs.put_new(manifest);
  md.size = static_cast<int64_t>(manifest.size());
  ReferenceIndex(paths).set("docker.io/library/kept:v1", md);

  StoreAdditions added(paths);
  for (const Layer* l : {&shared, &own}) {
    added.add_blob(l->desc.digest);
    added.add_layer(l->diff_id);
  }
  auto writing = hold_store_for_writing(paths);
  added.discard_unreferenced(writing);
  EXPECT_FALSE(writing) << "the shared hold is given up for the exclusive one";
  EXPECT_TRUE(layers.has(shared.diff_id));
  EXPECT_TRUE(blobs.has(shared.desc.digest));
  EXPECT_FALSE(layers.has(own.diff_id));
  EXPECT_FALSE(blobs.has(own.desc.digest));
}
