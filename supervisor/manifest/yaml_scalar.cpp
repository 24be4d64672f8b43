#include "manifest/yaml_scalar.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

namespace skiff::manifest {
namespace {

bool one_of(std::string_view s, std::initializer_list<std::string_view> set) {
  for (std::string_view x : set)
    if (s == x) return true;
  return false;
}

bool all_digits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : 99;
    if (d >= base) return false;
  }
  return true;
}

// strconv.ParseInt/ParseUint with base 0: sign (signed only), then 0x/0o/0b or a leading 0 for octal.
// Returns false on syntax errors and on overflow.
bool parse_go_int(std::string_view s, bool is_signed, int64_t& sv, uint64_t& uv) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    if (!is_signed) return false;
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() >= 2 && s[0] == '0') {
    char p = s[1];
    if (p == 'x' || p == 'X')
      base = 16, s.remove_prefix(2);
    else if (p == 'o' || p == 'O')
      base = 8, s.remove_prefix(2);
    else if (p == 'b' || p == 'B')
      base = 2, s.remove_prefix(2);
    else
      base = 8, s.remove_prefix(1);
  }
  if (!all_digits(s, base)) return false;
  unsigned __int128 acc = 0;
  for (char c : s) {
    int d = (c <= '9') ? c - '0' : (c | 0x20) - 'a' + 10;
    acc = acc * base + d;
    if (acc > std::numeric_limits<uint64_t>::max()) return false;
  }
  if (!is_signed) {
    uv = static_cast<uint64_t>(acc);
    return true;
  }
  if (neg) {
    if (acc > static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max()) + 1) return false;
    sv = static_cast<int64_t>(-static_cast<__int128>(acc));
  } else {
    if (acc > static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max())) return false;
    sv = static_cast<int64_t>(acc);
  }
  return true;
}

// go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool yaml_style_float(std::string_view s) {
  size_t i = 0, n = s.size();
  auto digits = [&] {
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < n && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  } else {
    if (!digits()) return false;
    if (i < n && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

// strconv.ParseFloat for the decimal forms that reach it; an out-of-range result counts as a failure.
bool parse_float(std::string_view s, double& out) {
  std::string z(s);
  char* end = nullptr;
  out = std::strtod(z.c_str(), &end);
  return end == z.c_str() + z.size() && std::isfinite(out);
}

// Shortest round-trip digits and the decimal point position: v = 0.DIGITS × 10^dp.
template <typename F>
void shortest_digits(F v, std::string& digits, int& dp) {
  std::array<char, 64> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::scientific);
  std::string_view s(buf.data(), r.ptr - buf.data());
  size_t e = s.find('e');
  digits.clear();
  for (char c : s.substr(0, e))
    if (c >= '0' && c <= '9') digits += c;
  dp = std::atoi(std::string(s.substr(e + 1)).c_str()) + 1;
}

}  // namespace

ResolvedScalar resolve_plain_scalar(std::string_view in) {
  ResolvedScalar r;
  if (one_of(in, {"", "~", "null", "Null", "NULL"})) return r;  // value stays null
  if (one_of(in, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})) {
    r.value = true;
    return r;
  }
  if (one_of(in, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})) {
    r.value = false;
    return r;
  }
  if (one_of(in, {".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
                  "-.INF"})) {
    r.value = std::string(in);
    r.error = "YAML reads " + std::string(in) + " as a float that JSON cannot hold; quote it for a string";
    return r;
  }
  char hint = in[0];
  if (hint == '.') {
    double f;
    if (yaml_style_float(in) && parse_float(in, f))
      r.value = f;
    else
      r.value = std::string(in);
    return r;
  }
  if (!((hint >= '0' && hint <= '9') || hint == '+' || hint == '-')) {
    r.value = std::string(in);
    return r;
  }
  std::string plain;
  for (char c : in)
    if (c != '_') plain += c;
  int64_t sv;
  uint64_t uv;
  double f;
  if (parse_go_int(plain, true, sv, uv))
    r.value = sv;
  else if (parse_go_int(plain, false, sv, uv))
    r.value = uv;
  else if (yaml_style_float(plain) && parse_float(plain, f))
    r.value = f;
  else
    r.value = std::string(in);
  return r;
}

std::string go_json_float(double v) {
  double a = std::fabs(v);
  std::array<char, 128> buf{};
  bool exp = a != 0 && (a < 1e-6 || a >= 1e21);
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v,
                         exp ? std::chars_format::scientific : std::chars_format::fixed);
  std::string s(buf.data(), r.ptr - buf.data());
  if (exp) {  // Go writes e-7, not e-07
    size_t n = s.size();
    if (n >= 4 && s[n - 4] == 'e' && s[n - 2] == '0') s.erase(n - 2, 1);
  }
  return s;
}

std::string go_float_key(double v) {
  if (std::isnan(v)) return ".nan";
  if (std::isinf(v)) return v > 0 ? ".inf" : "-.inf";
  float f = static_cast<float>(v);
  if (f == 0) return std::signbit(f) ? "-0" : "0";
  std::string digits;
  int dp;
  shortest_digits(std::fabs(f), digits, dp);
  std::string out = std::signbit(f) ? "-" : "";
  int x = dp - 1;
  if (x < -4 || x >= 6) {  // %e with the shortest digits, exponent of at least two digits
    out += digits[0];
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += x < 0 ? "e-" : "e+";
    int ax = x < 0 ? -x : x;
    if (ax < 10) out += '0';
    out += std::to_string(ax);
    return out;
  }
  if (dp <= 0) return out + "0." + std::string(-dp, '0') + digits;
  if (static_cast<size_t>(dp) >= digits.size()) return out + digits + std::string(dp - digits.size(), '0');
  return out + digits.substr(0, dp) + "." + digits.substr(dp);
}

std::string number_text(const nlohmann::json& number) {
  if (number.is_number_float()) return go_json_float(number.get<double>());
  return number.dump();
}

}  // namespace skiff::manifest
