#include "manifest/yaml_emitter.hpp"

#include <cmath>
#include <string_view>

#include "manifest/yaml_scalar.hpp"

namespace skiff::manifest {
namespace {

// A string go-yaml v2 resolves as something other than a string must be quoted.
bool resolves_to_non_string(std::string_view s) {
  ResolvedScalar r = resolve_plain_scalar(s);
  if (!r.error.empty() || !r.value.is_string()) return true;
  // go-yaml v2 quotes what looks like a timestamp (resolved as !!timestamp), e.g. creationTimestamp
  bool date = s.size() >= 8 && s[0] >= '0' && s[0] <= '9' && s.substr(4, 1) == "-";
  return date;
}

bool plain_allowed(std::string_view s) {
  if (s.empty() || resolves_to_non_string(s)) return false;
  if (s.front() == ' ' || s.back() == ' ') return false;
  if (std::string_view(",[]{}#&*!|>'\"%@`").find(s.front()) != std::string_view::npos) return false;
  if (std::string_view("-?:").find(s.front()) != std::string_view::npos && (s.size() == 1 || s[1] == ' '))
    return false;
  if (s.starts_with("---") || s.starts_with("...")) return false;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos || s.back() == ':')
    return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

bool has_control(std::string_view s, bool allow_newline) {
  for (unsigned char c : s)
    if ((c < 0x20 && !(allow_newline && c == '\n')) || c == 0x7f) return true;
  return false;
}

std::string double_quoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string scalar_text(std::string_view s) {
  if (plain_allowed(s)) return std::string(s);
  if (resolves_to_non_string(s) || has_control(s, false)) return double_quoted(s);
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// A literal block (`|`, `|-`, `|+`) where the text allows one; go-yaml falls back to quoting otherwise.
bool literal_allowed(std::string_view s) {
  if (has_control(s, true) || s.front() == ' ' || s.front() == '\n') return false;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    std::string_view line = s.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (!line.empty() && line.back() == ' ') return false;
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return true;
}

class Emitter {
 public:
  std::string out;

  void value_after_key(const nlohmann::json& v, int indent) {
    if (v.is_object() && !v.empty()) {
      out += '\n';
      mapping(v, indent + 2);
    } else if (v.is_array() && !v.empty()) {
      out += '\n';
      sequence(v, indent);  // go-yaml v2 puts a key's list at the key's own indentation
    } else {
      out += ' ';
      inline_value(v, indent + 2);
      out += '\n';
    }
  }

  void mapping(const nlohmann::json& obj, int indent, bool first_inline = false) {
    bool first = true;
    for (auto& [k, v] : obj.items()) {
      if (!(first && first_inline)) out += std::string(indent, ' ');
      first = false;
      out += scalar_text(k) + ":";
      value_after_key(v, indent);
    }
  }

  void sequence(const nlohmann::json& arr, int indent) {
    for (const nlohmann::json& item : arr) {
      out += std::string(indent, ' ') + "- ";
      if (item.is_object() && !item.empty()) {
        mapping(item, indent + 2, true);
      } else if (item.is_array() && !item.empty()) {
        sequence_inline(item, indent + 2);
      } else {
        inline_value(item, indent + 2);
        out += '\n';
      }
    }
  }

  // A list directly inside a list: its first item goes on the parent's dash line.
  void sequence_inline(const nlohmann::json& arr, int indent) {
    std::string saved;
    Emitter inner;
    inner.sequence(arr, indent);
    out += inner.out.substr(indent);
  }

  void inline_value(const nlohmann::json& v, int indent) {
    if (v.is_object())
      out += "{}";
    else if (v.is_array())
      out += "[]";
    else if (v.is_null())
      out += "null";
    else if (v.is_boolean())
      out += v.get<bool>() ? "true" : "false";
    else if (v.is_number_float())
      out += float_text(v.get<double>());
    else if (v.is_number())
      out += v.dump();
    else
      string_value(v.get_ref<const std::string&>(), indent);
  }

  void string_value(const std::string& s, int indent) {
    if (s.find('\n') == std::string::npos || !literal_allowed(s)) {
      out += scalar_text(s);
      return;
    }
    size_t trailing = 0;
    while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
    out += trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+";
    std::string_view body(s.data(), s.size() - (trailing ? 1 : 0));
    size_t pos = 0;
    while (pos <= body.size()) {
      size_t nl = body.find('\n', pos);
      std::string_view line =
          body.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      out += '\n';
      if (!line.empty()) out += std::string(indent, ' ') + std::string(line);
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
    }
  }

  static std::string float_text(double d) {
    if (std::isnan(d)) return ".nan";
    if (std::isinf(d)) return d > 0 ? ".inf" : "-.inf";
    std::string s = go_json_float(d);
    return s;
  }
};

}  // namespace

std::string to_yaml(const nlohmann::json& value) {
  Emitter e;
  if (value.is_object() && !value.empty())
    e.mapping(value, 0);
  else if (value.is_array() && !value.empty())
    e.sequence(value, 0);
  else {
    e.inline_value(value, 0);
    e.out += '\n';
  }
  return e.out;
}

}  // namespace skiff::manifest
