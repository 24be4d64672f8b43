// A path to a field of a Kubernetes object, printed as Kubernetes prints it in its errors
// (`spec.template.spec.containers[0].ports[1].name`, `metadata.labels[app]`), and as a JSON pointer into
// the document it was read from, so a diagnostic can name the line and column.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::manifest {

class FieldPath {
 public:
  FieldPath() = default;
  explicit FieldPath(std::string_view field) { segs_.push_back({std::string(field), 0, Kind::field}); }

  FieldPath child(std::string_view field) const { return with({std::string(field), 0, Kind::field}); }
  FieldPath index(size_t i) const { return with({{}, i, Kind::index}); }
  // An entry of a map-valued field (labels, data, nodeSelector): printed `[key]`.
  FieldPath key(std::string_view k) const { return with({std::string(k), 0, Kind::key}); }

  bool empty() const { return segs_.empty(); }
  FieldPath parent() const;
  std::string str() const;      // Kubernetes' form; "<root>" when empty
  std::string pointer() const;  // RFC 6901 JSON pointer ("" for the root)

 private:
  enum class Kind { field, index, key };
  struct Seg {
    std::string name;
    size_t index;
    Kind kind;
  };
  FieldPath with(Seg s) const {
    FieldPath p = *this;
    p.segs_.push_back(std::move(s));
    return p;
  }
  std::vector<Seg> segs_;
};

}  // namespace skiff::manifest
