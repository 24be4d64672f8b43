#include "layer_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
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

void LayerStore::unpack_one(const Descriptor& layer, const Digest& diff_id, const Digest& chain_id,
                            const UnpackOptions& o, ExtractResult& result) {
  std::string hex(chain_id.hex());
  auto lock = FileLock::acquire(paths_.locks() + "/layer-" + hex + ".lock");
  if (has(chain_id)) {
    lock.release_and_remove();  // another pull extracted it meanwhile: no lock file stays behind
    return;
  }
  // Leftovers of an extraction that was killed: we hold the lock, so nobody is still writing them.
  if (DIR* d = ::opendir(paths_.tmp().c_str())) {
    std::string prefix = "layer-" + hex + ".";
    std::vector<std::string> stale;
    while (auto* e = ::readdir(d))
      if (std::string(e->d_name).rfind(prefix, 0) == 0) stale.push_back(paths_.tmp() + "/" + e->d_name);
    ::closedir(d);
    for (auto& s : stale) remove_all(s);
  }
  std::string tmp = paths_.tmp() + "/layer-" + hex + "." + std::to_string(::getpid()) + ".XXXXXX";
  if (!::mkdtemp(tmp.data())) throw_errno("create " + tmp);
  try {
    UniqueFd blob(::open(blobs_.path(layer.digest).c_str(), O_RDONLY | O_CLOEXEC));
    if (!blob) throw_errno("open layer blob " + layer.digest.str());
    ExtractOptions eo;
    eo.rootless = o.rootless;
    eo.expected_diff_id = diff_id;
    eo.inflater = o.inflater;
    eo.pipeline = o.pipeline;
    result = extract_layer(blob.get(), tmp, "layer " + layer.digest.str(), eo);
    // Files are written without fsync each (that would cost more than the extraction); one syncfs
    // makes the whole layer durable before its name appears.
    UniqueFd dir(::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir) ::syncfs(dir.get());
    std::string dest = paths_.layer(chain_id);
    if (::rename(tmp.c_str(), dest.c_str()) < 0) throw_errno("rename " + tmp + " to " + dest);
    UniqueFd layers(::open(paths_.layers().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (layers) ::fsync(layers.get());
  } catch (...) {
    // A failed extraction leaves the store as it was: no half layer, no lock file, and not the blob
    // either (content that cannot be extracted is of no use; a retry fetches it again).
    remove_all(tmp);
    blobs_.remove(layer.digest);
    lock.release_and_remove();
    throw;
  }
  lock.release_and_remove();
}

bool LayerStore::unpack_layer(const Descriptor& layer, const Digest& diff_id, const Digest& chain_id,
                              const UnpackOptions& o, ExtractResult* result) {
  if (has(chain_id)) return false;
  paths_.ensure();
  ExtractResult r;
  r.tar_bytes = 0;
  unpack_one(layer, diff_id, chain_id, o, r);
  bool extracted = !r.diff_id.empty();  // unpack_one returns early when another pull got there first
  if (result) *result = std::move(r);
  return extracted;
}

std::vector<Digest> LayerStore::unpack(const Manifest& manifest, const ImageConfig& config,
                                       const UnpackOptions& o) {
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
    unpack_one(manifest.layers[i], config.diff_ids[i], chains[i], o, r);
    if (o.on_layer) {
      std::lock_guard g(mu);
      o.on_layer(i, r);
    }
  });
  return chains;
}

}  // namespace skiff::image
