// The store's index.json: which manifest each reference (name:tag or name@digest) points to. It has the
// shape of an OCI image-layout index (refs in "org.opencontainers.image.ref.name"), so the store root
// is a layout other tools can read. Every change is a read-modify-write under an flock on
// locks/index.lock, written atomically.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "manifest.hpp"
#include "store_paths.hpp"

namespace skiff::image {

inline constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";

struct ImageRecord {
  std::string ref;      // canonical reference, "docker.io/library/busybox:latest"
  Descriptor manifest;  // the platform manifest the reference resolves to
};

class ReferenceIndex {
 public:
  explicit ReferenceIndex(StorePaths paths) : paths_(std::move(paths)) {}

  std::vector<ImageRecord> list() const;
  std::optional<ImageRecord> find(const std::string& ref) const;
  // Adds or replaces `ref`.
  void set(const std::string& ref, const Descriptor& manifest);
  // Returns false if `ref` was not there.
  bool remove(const std::string& ref);
  // Runs `fn` on the records while holding the lock; writes them back if it returns true.
  void update(const std::function<bool(std::vector<ImageRecord>&)>& fn);

 private:
  std::vector<ImageRecord> load() const;
  void save(const std::vector<ImageRecord>& records) const;
  StorePaths paths_;
};

}  // namespace skiff::image
