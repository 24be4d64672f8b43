#include "layer_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>

#include "error.hpp"
#include "file_lock.hpp"
#include "file_util.hpp"
#include "parallel.hpp"
#include "unique_fd.hpp"

namespace skiff::image {

bool LayerStore::has(const Digest& chain_id) const {
  struct stat st {};
  return ::stat(paths_.layer(chain_id).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void LayerStore::remove(const Digest& chain_id) {
  auto lock = FileLock::acquire(paths_.locks() + "/layer-" + std::string(chain_id.hex()) + ".lock");
  // Renamed out of the way first, so that nobody ever sees a half-removed layer under its name.
  std::string doomed =
      paths_.tmp() + "/removing-" + std::string(chain_id.hex()) + "." + std::to_string(::getpid());
  if (::rename(paths_.layer(chain_id).c_str(), doomed.c_str()) == 0) remove_all(doomed);
  lock.release_and_remove();
}

void LayerStore::remove_stale_extractions(const std::string& hex) {
  // Leftovers of an extraction that was killed: the caller holds the layer's lock, so nobody is still
  // writing them.
  if (DIR* d = ::opendir(paths_.tmp().c_str())) {
    std::string prefix = "layer-" + hex + ".";
    std::vector<std::string> stale;
    while (auto* e = ::readdir(d))
      if (std::string(e->d_name).rfind(prefix, 0) == 0) stale.push_back(paths_.tmp() + "/" + e->d_name);
    ::closedir(d);
    for (auto& s : stale) remove_all(s);
  }
}

std::string LayerStore::make_extraction_dir(const std::string& hex) {
  std::string tmp = paths_.tmp() + "/layer-" + hex + "." + std::to_string(::getpid()) + ".XXXXXX";
  if (!::mkdtemp(tmp.data())) throw_errno("create " + tmp);
  return tmp;
}

void LayerStore::publish(const std::string& tmp, const Digest& chain_id) {
  // Files are written without fsync each (that would cost more than the extraction); one syncfs
  // makes the whole layer durable before its name appears.
  UniqueFd dir(::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto t0 = std::chrono::steady_clock::now();
  if (dir) ::syncfs(dir.get());
  if (std::getenv("SKIFF_TIMING"))
    std::fprintf(stderr, "skiff: layer %.12s synced in %.1f ms\n", std::string(chain_id.hex()).c_str(),
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  std::string dest = paths_.layer(chain_id);
  if (::rename(tmp.c_str(), dest.c_str()) < 0) throw_errno("rename " + tmp + " to " + dest);
  UniqueFd layers(::open(paths_.layers().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (layers) ::fsync(layers.get());
}

namespace {

ExtractOptions extract_options(const UnpackOptions& o, const Digest& diff_id) {
  ExtractOptions eo;
  eo.rootless = o.rootless;
  eo.expected_diff_id = diff_id;
  eo.inflater = o.inflater;
  eo.pipeline = o.pipeline;
  return eo;
}

}  // namespace

void LayerStore::extract_from_blob(const Descriptor& layer, const Digest& diff_id, const Digest& chain_id,
                                   const UnpackOptions& o, ExtractResult& result) {
  std::string tmp = make_extraction_dir(std::string(chain_id.hex()));
  try {
    UniqueFd blob(::open(blobs_.path(layer.digest).c_str(), O_RDONLY | O_CLOEXEC));
    if (!blob) throw_errno("open layer blob " + layer.digest.str());
    result = extract_layer(blob.get(), tmp, "layer " + layer.digest.str(), extract_options(o, diff_id));
    publish(tmp, chain_id);
  } catch (...) {
    // A failed extraction leaves the store as it was: no half layer, and not the blob either (content
    // that cannot be extracted is of no use; a retry fetches it again). The caller drops the lock.
    remove_all(tmp);
    blobs_.remove(layer.digest);
    throw;
  }
}

bool LayerStore::locked_extraction(const Digest& chain_id, const std::function<void()>& extract) {
  std::string hex(chain_id.hex());
  auto lock = FileLock::acquire(paths_.locks() + "/layer-" + hex + ".lock");
  if (has(chain_id)) {
    lock.release_and_remove();  // another pull extracted it meanwhile: no lock file stays behind
    return false;
  }
  remove_stale_extractions(hex);
  try {
    extract();
  } catch (...) {
    lock.release_and_remove();
    throw;
  }
  lock.release_and_remove();
  return true;
}

bool LayerStore::unpack_one(const Descriptor& layer, const Digest& diff_id, const Digest& chain_id,
                            const UnpackOptions& o, ExtractResult& result) {
  return locked_extraction(chain_id, [&] { extract_from_blob(layer, diff_id, chain_id, o, result); });
}

bool LayerStore::fetch_and_unpack(const Descriptor& layer, const Digest& diff_id, const Digest& chain_id,
                                  const UnpackOptions& o, const std::function<void(BlobIngest&)>& fetch,
                                  ExtractResult* result) {
  if (has(chain_id)) return false;
  paths_.ensure();
  auto ingest = blobs_.begin(layer.digest, layer.size);
  if (ingest && (ingest->offset() > 0 || !o.pipeline)) {
    // Resuming a partial download: the bytes already on disk would have to go through the extraction
    // first; rare enough to take the two-pass way.
    fetch(*ingest);
    ingest.reset();
  }
  if (!ingest) return unpack_layer(layer, diff_id, chain_id, o, result);

  ExtractResult r;
  bool extracted = locked_extraction(chain_id, [&] {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
    UniqueFd tx(sv[0]), rx(sv[1]);
    // A deeper queue than the default lets the fetch run ahead while a big file is written out.
    int buf = 1 << 20;
    if (::setsockopt(tx.get(), SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf) < 0)
      ::setsockopt(tx.get(), SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    std::string tmp = make_extraction_dir(std::string(chain_id.hex()));
    std::exception_ptr extract_error;
    std::thread extraction([&] {
      try {
        r = extract_layer(rx.get(), tmp, "layer " + layer.digest.str(), extract_options(o, diff_id));
      } catch (...) {
        extract_error = std::current_exception();
      }
      ::shutdown(rx.get(), SHUT_RDWR);  // a fetch still sending gets EPIPE and stops teeing
    });
    bool streamed = false;
    try {
      ingest->tee_to(tx.get());
      fetch(*ingest);  // commits the blob: size and digest verified
      streamed = ingest->tee_complete();
    } catch (...) {
      ::shutdown(tx.get(), SHUT_RDWR);
      extraction.join();
      remove_all(tmp);
      throw;
    }
    ::shutdown(tx.get(), SHUT_WR);  // end of the stream: the extraction finishes
    extraction.join();
    ingest.reset();
    if (streamed && !extract_error) {
      try {
        publish(tmp, chain_id);
      } catch (...) {
        remove_all(tmp);
        throw;
      }
    } else {
      // The transfer started over midway, or the extraction failed: extract again from the verified
      // blob, which reports the extraction's error (if any) against bytes known to be the layer's.
      remove_all(tmp);
      extract_from_blob(layer, diff_id, chain_id, o, r);
    }
  });
  // Not extracted: another pull got there first, and the blob is not needed (the ingest goes).
  if (extracted && result) *result = std::move(r);
  return extracted;
}

bool LayerStore::unpack_layer(const Descriptor& layer, const Digest& diff_id, const Digest& chain_id,
                              const UnpackOptions& o, ExtractResult* result) {
  if (has(chain_id)) return false;
  paths_.ensure();
  ExtractResult r;
  bool extracted = unpack_one(layer, diff_id, chain_id, o, r);
  if (result) *result = std::move(r);
  return extracted;
}

std::vector<Digest> LayerStore::unpack(const Manifest& manifest, const ImageConfig& config,
                                       const UnpackOptions& o,
                                       const std::function<void(size_t, BlobIngest&)>& fetch) {
  if (manifest.layers.size() != config.diff_ids.size())
    throw Error("image has " + std::to_string(manifest.layers.size()) + " layers but its config lists " +
                std::to_string(config.diff_ids.size()) + " diffIDs");
  paths_.ensure();
  auto chains = chain_ids(config.diff_ids);
  unsigned jobs = o.jobs;
  if (jobs == 0) {
    const char* env = std::getenv("SKIFF_LAYER_JOBS");
    jobs = env && std::atoi(env) > 0 ? static_cast<unsigned>(std::atoi(env))
                                     : std::thread::hardware_concurrency();
  }
  std::mutex mu;  // on_layer is called from one thread at a time
  for_each_index_parallel(manifest.layers.size(), jobs, [&](size_t i) {
    ExtractResult r;
    if (fetch)
      fetch_and_unpack(
          manifest.layers[i], config.diff_ids[i], chains[i], o, [&](BlobIngest& ingest) { fetch(i, ingest); },
          &r);
    else
      unpack_one(manifest.layers[i], config.diff_ids[i], chains[i], o, r);
    if (o.on_layer) {
      std::lock_guard g(mu);
      o.on_layer(i, r);
    }
  });
  return chains;
}

}  // namespace skiff::image
