#include "manifest/field_path.hpp"

namespace skiff::manifest {

FieldPath FieldPath::parent() const {
  FieldPath p = *this;
  if (!p.segs_.empty()) p.segs_.pop_back();
  return p;
}

std::string FieldPath::str() const {
  if (segs_.empty()) return "<root>";
  std::string out;
  for (const Seg& s : segs_) {
    switch (s.kind) {
      case Kind::field:
        if (!out.empty()) out += '.';
        out += s.name;
        break;
      case Kind::index:
        out += '[' + std::to_string(s.index) + ']';
        break;
      case Kind::key:
        out += '[' + s.name + ']';
        break;
    }
  }
  return out;
}

std::string FieldPath::pointer() const {
  std::string out;
  for (const Seg& s : segs_) {
    out += '/';
    if (s.kind == Kind::index) {
      out += std::to_string(s.index);
      continue;
    }
    for (char c : s.name) {
      if (c == '~')
        out += "~0";
      else if (c == '/')
        out += "~1";
      else
        out += c;
    }
  }
  return out;
}

}  // namespace skiff::manifest
