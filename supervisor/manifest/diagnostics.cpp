#include "manifest/diagnostics.hpp"

namespace skiff::manifest {

SourcePos PositionMap::locate(std::string_view pointer, bool at_key) const {
  std::string p(pointer);
  bool exact = true;
  while (true) {
    auto it = map_.find(p);
    if (it != map_.end()) {
      const Entry& e = it->second;
      bool key = (at_key || !exact) && e.key.line > 0;
      return key ? e.key : e.value;
    }
    if (p.empty()) return {};
    p.erase(p.rfind('/'));
    exact = false;
  }
}

std::string Diagnostic::str() const {
  std::string out;
  if (!file.empty()) out += file + ":";
  if (pos.line > 0) out += std::to_string(pos.line) + ":" + std::to_string(pos.column) + ":";
  if (!out.empty()) out += ' ';
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

void Diagnostics::set_source(std::string file, const PositionMap* positions, std::string base) {
  file_ = std::move(file);
  positions_ = positions;
  base_ = std::move(base);
}

Diagnostic Diagnostics::make(Diagnostic::Severity sev, const FieldPath& path, std::string message,
                             bool at_key) const {
  Diagnostic d;
  d.severity = sev;
  d.file = file_;
  if (positions_) d.pos = positions_->locate(base_ + path.pointer(), at_key);
  if (!path.empty()) d.path = path.str();
  d.message = std::move(message);
  return d;
}

void Diagnostics::error(const FieldPath& path, std::string message, bool at_key) {
  if (++error_count_ <= kMaxErrors)
    errors_.push_back(make(Diagnostic::Severity::error, path, std::move(message), at_key));
}

void Diagnostics::warning(const FieldPath& path, std::string message) {
  if (warnings_.size() < kMaxErrors)
    warnings_.push_back(make(Diagnostic::Severity::warning, path, std::move(message), true));
}

void Diagnostics::error_at(SourcePos pos, std::string message) {
  if (++error_count_ > kMaxErrors) return;
  Diagnostic d;
  d.file = file_;
  d.pos = pos;
  d.message = std::move(message);
  errors_.push_back(std::move(d));
}

std::string quote_value(const nlohmann::json& value) {
  // Kubernetes prints strings with %q; JSON's escaping is the same for what manifests hold.
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Diagnostics::required(const FieldPath& path, std::string_view detail) {
  std::string m = "Required value";
  if (!detail.empty()) m += ": " + std::string(detail);
  error(path, std::move(m));
}

void Diagnostics::invalid(const FieldPath& path, const nlohmann::json& value, std::string_view detail) {
  std::string m = "Invalid value: " + quote_value(value);
  if (!detail.empty()) m += ": " + std::string(detail);
  error(path, std::move(m));
}

void Diagnostics::unsupported(const FieldPath& path, const nlohmann::json& value,
                              const std::vector<std::string>& valid) {
  std::string m = "Unsupported value: " + quote_value(value);
  if (!valid.empty()) {
    m += ": supported values: ";
    for (size_t i = 0; i < valid.size(); ++i) m += (i ? ", \"" : "\"") + valid[i] + "\"";
  }
  error(path, std::move(m));
}

void Diagnostics::duplicate(const FieldPath& path, const nlohmann::json& value) {
  error(path, "Duplicate value: " + quote_value(value));
}

void Diagnostics::not_found(const FieldPath& path, const nlohmann::json& value) {
  error(path, "Not found: " + quote_value(value));
}

void Diagnostics::forbidden(const FieldPath& path, std::string_view detail) {
  error(path, "Forbidden: " + std::string(detail));
}

void Diagnostics::too_long(const FieldPath& path, size_t max_bytes) {
  error(path, "Too long: may not be more than " + std::to_string(max_bytes) + " bytes");
}

std::string Diagnostics::error_text() const {
  std::string out;
  for (const Diagnostic& d : errors_) {
    if (!out.empty()) out += '\n';
    out += d.str();
  }
  if (error_count_ > errors_.size())
    out += "\n... and " + std::to_string(error_count_ - errors_.size()) + " more errors";
  return out;
}

}  // namespace skiff::manifest
