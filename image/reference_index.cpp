#include "reference_index.hpp"

#include <sys/stat.h>

#include "error.hpp"
#include "file_lock.hpp"
#include "file_util.hpp"

namespace skiff::image {

std::vector<ImageRecord> ReferenceIndex::load() const {
  struct stat st {};
  if (::stat(paths_.index_json().c_str(), &st) < 0) return {};
  auto j = parse_json(skiff::read_file(paths_.index_json()), paths_.index_json());
  std::vector<ImageRecord> out;
  auto ms = j.find("manifests");
  if (ms == j.end() || !ms->is_array()) return out;
  for (auto& m : *ms) {
    auto d = Descriptor::from_json(m, paths_.index_json());
    auto it = d.annotations.find(kRefNameAnnotation);
    if (it == d.annotations.end()) continue;
    out.push_back({it->second, d});
  }
  return out;
}

void ReferenceIndex::save(const std::vector<ImageRecord>& records) const {
  nlohmann::json ms = nlohmann::json::array();
  for (auto& r : records) {
    Descriptor d = r.manifest;
    d.annotations[kRefNameAnnotation] = r.ref;
    ms.push_back(d.to_json());
  }
  nlohmann::json j{{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", ms}};
  write_file_atomic(paths_.index_json(), j.dump(2) + "\n");
}

std::vector<ImageRecord> ReferenceIndex::list() const {
  paths_.ensure();
  auto lock = FileLock::acquire(paths_.locks() + "/index.lock", FileLock::Mode::kShared);
  return load();
}

std::optional<ImageRecord> ReferenceIndex::find(const std::string& ref) const {
  for (auto& r : list())
    if (r.ref == ref) return r;
  return std::nullopt;
}

void ReferenceIndex::update(const std::function<bool(std::vector<ImageRecord>&)>& fn) {
  paths_.ensure();
  auto lock = FileLock::acquire(paths_.locks() + "/index.lock");
  auto records = load();
  if (fn(records)) save(records);
}

void ReferenceIndex::set(const std::string& ref, const Descriptor& manifest) {
  update([&](std::vector<ImageRecord>& rs) {
    for (auto& r : rs)
      if (r.ref == ref) {
        r.manifest = manifest;
        return true;
      }
    rs.push_back({ref, manifest});
    return true;
  });
}

bool ReferenceIndex::remove(const std::string& ref) {
  bool found = false;
  update([&](std::vector<ImageRecord>& rs) {
    for (auto it = rs.begin(); it != rs.end(); ++it)
      if (it->ref == ref) {
        rs.erase(it);
        found = true;
        return true;
      }
    return false;
  });
  return found;
}

}  // namespace skiff::image
