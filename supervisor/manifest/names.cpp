#include "manifest/names.hpp"

#include <cstdint>

namespace skiff::manifest {
namespace {

bool lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool alnum(char c) {
  return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

std::string regex_error(std::string msg, std::string_view fmt,
                        std::initializer_list<std::string_view> examples) {
  msg += " (e.g. ";
  bool first = true;
  for (std::string_view e : examples) {
    if (!first) msg += " or ";
    first = false;
    msg += "'" + std::string(e) + "', ";
  }
  return msg + "regex used for validation is '" + std::string(fmt) + "')";
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool label_shape(std::string_view v) {
  if (v.empty() || !lower_alnum(v.front()) || !lower_alnum(v.back())) return false;
  for (char c : v)
    if (!lower_alnum(c) && c != '-') return false;
  return true;
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool qualified_shape(std::string_view v) {
  if (v.empty() || !alnum(v.front()) || !alnum(v.back())) return false;
  for (char c : v)
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

constexpr std::string_view kQualifiedMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character";
constexpr std::string_view kQualifiedFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";

}  // namespace

std::string max_len_error(size_t n) {
  return "must be no more than " + std::to_string(n) + " characters";
}
std::string inclusive_range_error(int64_t lo, int64_t hi) {
  return "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", inclusive";
}

Messages is_dns1123_label(std::string_view v) {
  Messages m;
  if (v.size() > 63) m.push_back(max_len_error(63));
  if (!label_shape(v))
    m.push_back(
        regex_error("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                    "and must start and end with an alphanumeric character",
                    "[a-z0-9]([-a-z0-9]*[a-z0-9])?", {"my-name", "123-abc"}));
  return m;
}

Messages is_dns1123_subdomain(std::string_view v) {
  Messages m;
  if (v.size() > 253) m.push_back(max_len_error(253));
  bool ok = !v.empty();
  size_t start = 0;
  while (ok && start <= v.size()) {
    size_t dot = v.find('.', start);
    std::string_view part =
        v.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    ok = label_shape(part);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!ok)
    m.push_back(
        regex_error("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
                    "or '.', and must "
                    "start and end with an alphanumeric character",
                    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", {"example.com"}));
  return m;
}

Messages is_dns1035_label(std::string_view v) {
  Messages m;
  if (v.size() > 63) m.push_back(max_len_error(63));
  if (!label_shape(v) || !(v[0] >= 'a' && v[0] <= 'z'))
    m.push_back(
        regex_error("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
                    "with an alphabetic character, and end with an alphanumeric character",
                    "[a-z]([-a-z0-9]*[a-z0-9])?", {"my-name", "abc-123"}));
  return m;
}

Messages is_qualified_name(std::string_view v) {
  Messages m;
  std::string_view name = v;
  size_t slash = v.find('/');
  if (slash != std::string_view::npos) {
    if (v.find('/', slash + 1) != std::string_view::npos) {
      m.push_back("a qualified name " +
                  regex_error(std::string(kQualifiedMsg), kQualifiedFmt, {"MyName", "my.name", "123-abc"}) +
                  " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return m;
    }
    std::string_view prefix = v.substr(0, slash);
    name = v.substr(slash + 1);
    if (prefix.empty())
      m.push_back("prefix part must be non-empty");
    else
      for (const std::string& e : is_dns1123_subdomain(prefix)) m.push_back("prefix part " + e);
  }
  if (name.empty())
    m.push_back("name part must be non-empty");
  else if (name.size() > 63)
    m.push_back("name part " + max_len_error(63));
  if (!qualified_shape(name))
    m.push_back("name part " +
                regex_error(std::string(kQualifiedMsg), kQualifiedFmt, {"MyName", "my.name", "123-abc"}));
  return m;
}

Messages is_label_value(std::string_view v) {
  Messages m;
  if (v.size() > 63) m.push_back(max_len_error(63));
  if (!v.empty() && !qualified_shape(v))
    m.push_back(
        regex_error("a valid label must be an empty string or consist of alphanumeric characters, '-', "
                    "'_' or '.', and must start and end with an alphanumeric character",
                    "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", {"MyValue", "my_value", "12345"}));
  return m;
}

Messages is_valid_port_name(std::string_view v) {
  Messages m;
  if (v.size() > 15) m.push_back(max_len_error(15));
  bool charset = !v.empty(), letter = false;
  for (char c : v) {
    if (!lower_alnum(c) && c != '-') charset = false;
    if (c >= 'a' && c <= 'z') letter = true;
  }
  if (!charset) m.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (!letter) m.push_back("must contain at least one letter (a-z)");
  if (v.find("--") != std::string_view::npos) m.push_back("must not contain consecutive hyphens");
  if (!v.empty() && (v.front() == '-' || v.back() == '-')) m.push_back("must not begin or end with a hyphen");
  return m;
}

Messages is_valid_port_num(int64_t port) {
  if (port >= 1 && port <= 65535) return {};
  return {inclusive_range_error(1, 65535)};
}

Messages is_env_var_name(std::string_view v) {
  Messages m;
  if (v.empty()) m.push_back("environment variable name must be non-empty");
  for (char c : v) {
    if (c < 32 || c > 126 || c == '=') {
      m.push_back(
          "a valid environment variable name must consist only of printable ASCII characters other than '='");
      break;
    }
  }
  return m;
}

Messages is_config_map_key(std::string_view v) {
  Messages m;
  if (v.size() > 253) m.push_back(max_len_error(253));
  bool ok = !v.empty();
  for (char c : v)
    if (!alnum(c) && c != '-' && c != '_' && c != '.') ok = false;
  if (!ok)
    m.push_back(regex_error("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                            "[-._a-zA-Z0-9]+", {"key.name", "KEY_NAME", "key-name"}));
  if (v == ".")
    m.push_back("must not be '.'");
  else if (v == "..")
    m.push_back("must not be '..'");
  else if (v.starts_with(".."))
    m.push_back("must not start with '..'");
  return m;
}

Messages is_relative_clean_path(std::string_view v) {
  Messages m;
  if (!v.empty() && v[0] == '/') m.push_back("must be a relative path");
  size_t start = 0;
  while (start <= v.size()) {
    size_t slash = v.find('/', start);
    std::string_view part =
        v.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part == "..") {
      m.push_back("must not contain '..'");
      break;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return m;
}

}  // namespace skiff::manifest
