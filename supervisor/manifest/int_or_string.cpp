#include "manifest/int_or_string.hpp"

#include <charconv>
#include <cmath>

namespace skiff::manifest {

ScaledValue get_scaled_value_from_int_or_percent(const IntOrString& v, int64_t total, bool round_up) {
  ScaledValue out;
  if (!v.is_string) {
    out.value = v.int_value;
    return out;
  }
  const std::string& s = v.str_value;
  if (s.empty() || s.back() != '%') {
    out.error = "invalid type: string is not a percentage";
    return out;
  }
  std::string_view digits(s.data(), s.size() - 1);
  int64_t pct = 0;
  std::string_view parse = digits;
  if (!parse.empty() && parse[0] == '+') parse.remove_prefix(1);  // strconv.Atoi takes a sign
  auto r = std::from_chars(parse.data(), parse.data() + parse.size(), pct);
  if (parse.empty() || r.ec != std::errc() || r.ptr != parse.data() + parse.size()) {
    out.error = "invalid value for IntOrString: invalid value \"" + s + "\": strconv.Atoi: parsing \"" +
                std::string(digits) + "\": invalid syntax";
    return out;
  }
  double scaled = static_cast<double>(pct) * static_cast<double>(total) / 100.0;
  out.value = static_cast<int64_t>(round_up ? std::ceil(scaled) : std::floor(scaled));
  return out;
}

}  // namespace skiff::manifest
