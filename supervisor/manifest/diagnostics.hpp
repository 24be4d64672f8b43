// Errors and warnings about a manifest, each naming the file, line and column it comes from and the
// field's path: `shop.yaml:88:11: spec.template.spec.containers[0].ports[0].containerPort: must be ...`.
// The messages are Kubernetes' own (field.Error's "Required value", "Invalid value: X: detail", ...).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifest/field_path.hpp"

namespace skiff::manifest {

struct SourcePos {
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
};

// Where each node of a parsed document was, by JSON pointer. A mapping's entries know their key's
// position too: an unknown field is reported at its key, a bad value at the value.
class PositionMap {
 public:
  void add(const std::string& pointer, SourcePos key, SourcePos value) { map_[pointer] = {key, value}; }
  // The value's position at `pointer`; for a path the document does not have (a defaulted field), the key
  // of its nearest ancestor that it has.
  SourcePos locate(std::string_view pointer, bool at_key) const;
  size_t size() const { return map_.size(); }

 private:
  struct Entry {
    SourcePos key, value;
  };
  std::unordered_map<std::string, Entry> map_;
};

struct Diagnostic {
  enum class Severity { error, warning };
  Severity severity = Severity::error;
  std::string file;
  SourcePos pos;
  std::string path;  // empty for a document-level problem
  std::string message;
  // `FILE:LINE:COL: PATH: message` (parts that are unknown are left out).
  std::string str() const;
};

// Collects diagnostics for one input; a bounded number of errors is kept (the rest are counted).
class Diagnostics {
 public:
  static constexpr size_t kMaxErrors = 100;

  // Positions that paths are resolved against from now on; `base` is the pointer of the object within
  // its document (an item of a `kind: List`), prefixed to every path's pointer.
  void set_source(std::string file, const PositionMap* positions, std::string base = {});

  void error(const FieldPath& path, std::string message, bool at_key = false);
  void warning(const FieldPath& path, std::string message);
  // An error about the input as a whole, at a known position (a YAML syntax error).
  void error_at(SourcePos pos, std::string message);

  // Kubernetes' field.Error kinds, worded as its ErrorBody() prints them.
  void required(const FieldPath& path, std::string_view detail = {});
  void invalid(const FieldPath& path, const nlohmann::json& value, std::string_view detail);
  void unsupported(const FieldPath& path, const nlohmann::json& value, const std::vector<std::string>& valid);
  void duplicate(const FieldPath& path, const nlohmann::json& value);
  void not_found(const FieldPath& path, const nlohmann::json& value);
  void forbidden(const FieldPath& path, std::string_view detail);
  void too_long(const FieldPath& path, size_t max_bytes);

  bool has_errors() const { return error_count_ > 0; }
  size_t error_count() const { return error_count_; }
  const std::vector<Diagnostic>& errors() const { return errors_; }
  const std::vector<Diagnostic>& warnings() const { return warnings_; }
  // Every error line, and a last line counting those past the bound.
  std::string error_text() const;

 private:
  Diagnostic make(Diagnostic::Severity sev, const FieldPath& path, std::string message, bool at_key) const;
  std::string file_;
  const PositionMap* positions_ = nullptr;
  std::string base_;
  std::vector<Diagnostic> errors_, warnings_;
  size_t error_count_ = 0;
};

// A value as Kubernetes' errors print it: strings quoted, numbers and booleans bare, others as JSON.
std::string quote_value(const nlohmann::json& value);

}  // namespace skiff::manifest
