#include "manifest/quantity.hpp"

#include <limits>

namespace skiff::manifest {
namespace {

constexpr const char* kErrFormat =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr const char* kErrSuffix = "unable to parse quantity's suffix";
constexpr const char* kErrTooLarge = "quantity is too large";
constexpr __int128 kNanoPerUnit = 1'000'000'000;
// Beyond what the nano representation holds comfortably (about 1e29 units).
constexpr __int128 kMaxNano = static_cast<__int128>(1) << 126;

__int128 pow10(int n) {
  __int128 r = 1;
  while (n-- > 0) r *= 10;
  return r;
}

std::string i128_text(__int128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  unsigned __int128 u = neg ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  std::string s;
  while (u) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  return neg ? "-" + s : s;
}

struct Parts {
  bool positive = true;
  std::string num, denom, suffix;
};

// parseQuantityString: sign, leading zeros dropped, digits, optional fraction, then the suffix.
bool split(std::string_view s, Parts& p) {
  size_t pos = 0, end = s.size();
  if (pos < end && (s[0] == '-' || s[0] == '+')) p.positive = s[pos++] != '-';
  while (pos < end && s[pos] == '0') ++pos;
  if (pos >= end) {
    p.num = "0";
    return true;
  }
  size_t i = pos;
  while (i < end && s[i] >= '0' && s[i] <= '9') ++i;
  p.num = std::string(s.substr(pos, i - pos));
  pos = i;
  if (p.num.empty()) p.num = "0";
  if (pos < end && s[pos] == '.') {
    i = ++pos;
    while (i < end && s[i] >= '0' && s[i] <= '9') ++i;
    p.denom = std::string(s.substr(pos, i - pos));
    pos = i;
  }
  size_t suffix_start = pos;
  while (pos < end && std::string_view("eEinumkKMGTP").find(s[pos]) != std::string_view::npos) ++pos;
  if (pos < end && (s[pos] == '-' || s[pos] == '+')) ++pos;
  while (pos < end && s[pos] >= '0' && s[pos] <= '9') ++pos;
  if (pos != end) return false;
  p.suffix = std::string(s.substr(suffix_start));
  return true;
}

struct Suffix {
  int base = 10;  // 10 or 2
  int exponent = 0;
  Quantity::Format format = Quantity::Format::decimal_si;
};

bool interpret(const std::string& s, Suffix& out) {
  static const std::pair<const char*, int> dec[] = {{"n", -9}, {"u", -6}, {"m", -3}, {"", 0},   {"k", 3},
                                                    {"M", 6},  {"G", 9},  {"T", 12}, {"P", 15}, {"E", 18}};
  static const std::pair<const char*, int> bin[] = {{"Ki", 10}, {"Mi", 20}, {"Gi", 30},
                                                    {"Ti", 40}, {"Pi", 50}, {"Ei", 60}};
  for (auto& [name, e] : dec)
    if (s == name) return out = {10, e, Quantity::Format::decimal_si}, true;
  for (auto& [name, e] : bin)
    if (s == name) return out = {2, e, Quantity::Format::binary_si}, true;
  if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
    std::string_view d(s);
    d.remove_prefix(1);
    bool neg = false;
    if (d[0] == '+' || d[0] == '-') neg = d[0] == '-', d.remove_prefix(1);
    if (d.empty() || d.size() > 9) return false;
    int e = 0;
    for (char c : d) {
      if (c < '0' || c > '9') return false;
      e = e * 10 + (c - '0');
    }
    out = {10, neg ? -e : e, Quantity::Format::decimal_exponent};
    return true;
  }
  return false;
}

// digits × 10^shift as nanos, rounded up (towards larger magnitude) below one nano. False on overflow.
bool scaled_nanos(const std::string& digits, int shift, __int128& out) {
  int int_len = static_cast<int>(digits.size()) + shift;  // digits that land before the nano point
  __int128 v = 0;
  bool round_up = false;
  for (int i = 0; i < static_cast<int>(digits.size()); ++i) {
    if (i >= int_len) {
      if (digits[i] != '0') round_up = true;
      continue;
    }
    if (v > kMaxNano / 10) return false;
    v = v * 10 + (digits[i] - '0');
  }
  for (int i = static_cast<int>(digits.size()); i < int_len; ++i) {
    if (v > kMaxNano / 10) return false;
    v *= 10;
  }
  out = v + (round_up ? 1 : 0);
  return true;
}

__int128 round_away(__int128 v, __int128 unit) {
  __int128 q = v / unit;
  if (v % unit != 0) q += v > 0 ? 1 : -1;
  return q;
}

int64_t clamp64(__int128 v) {
  if (v > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (v < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

}  // namespace

std::optional<Quantity> Quantity::parse(std::string_view text, std::string* error) {
  auto fail = [&](const char* msg) -> std::optional<Quantity> {
    if (error) *error = msg;
    return std::nullopt;
  };
  Parts p;
  if (text.empty() || !split(text, p)) return fail(kErrFormat);
  Suffix sfx;
  if (!interpret(p.suffix, sfx)) return fail(kErrSuffix);
  std::string digits = p.num + p.denom;
  int frac = static_cast<int>(p.denom.size());
  Quantity q;
  q.format_ = sfx.format;
  __int128 nano = 0;
  if (sfx.base == 10) {
    if (sfx.exponent > 40 || !scaled_nanos(digits, sfx.exponent + 9 - frac, nano)) return fail(kErrTooLarge);
  } else {
    // digits × 2^e / 10^frac, in nanos: multiply first (exact), then divide rounding up.
    __int128 d = 0;
    if (!scaled_nanos(digits, 0, d) || d > (kMaxNano >> sfx.exponent) / kNanoPerUnit)
      return fail(kErrTooLarge);
    nano = round_away((d << sfx.exponent) * kNanoPerUnit, pow10(frac));
    const __int128 max_binary = static_cast<__int128>(std::numeric_limits<int64_t>::max()) * kNanoPerUnit;
    if (nano > max_binary) nano = max_binary;
  }
  q.nano_ = p.positive ? nano : -nano;
  if (q.format_ == Format::binary_si && nano > 0 && nano < kNanoPerUnit) q.format_ = Format::decimal_si;

  // ParseQuantity keeps the text when its fast path finds it already canonical.
  int scale = sfx.base == 10 ? sfx.exponent - frac : 0;
  bool fast = sfx.base == 10 ? static_cast<int>(digits.size()) <= 18 && scale >= -9
                             : p.denom.empty() && 15 - static_cast<int>(p.num.size()) -
                                                          static_cast<int>(sfx.exponent * 3.0f / 10) - 1 >=
                                                      0;
  if (fast && q.nano_ != 0) {
    bool keep = false;
    if (sfx.base == 2) {
      __int128 v = 0;
      scaled_nanos(p.num, 0, v);
      keep = (v & 7) != 0;
    } else {
      keep = scale % 3 == 0 && !(digits.size() >= 3 && digits.ends_with("000")) && digits[0] != '0';
    }
    if (keep) q.kept_ = std::string(text);
  }
  return q;
}

Quantity Quantity::from_milli(int64_t milli, Format format) {
  Quantity q;
  q.nano_ = static_cast<__int128>(milli) * 1'000'000;
  q.format_ = format;
  return q;
}

Quantity Quantity::from_value(int64_t value, Format format) {
  Quantity q;
  q.nano_ = static_cast<__int128>(value) * kNanoPerUnit;
  q.format_ = format;
  return q;
}

int64_t Quantity::value() const {
  return clamp64(round_away(nano_, kNanoPerUnit));
}
int64_t Quantity::milli_value() const {
  return clamp64(round_away(nano_, 1'000'000));
}
double Quantity::as_double() const {
  return static_cast<double>(nano_) / 1e9;
}
bool Quantity::is_integer() const {
  return nano_ % kNanoPerUnit == 0;
}

void Quantity::round_up_to_milli() {
  __int128 r = round_away(nano_, 1'000'000) * 1'000'000;
  if (r != nano_) {
    nano_ = r;
    kept_.clear();
  }
}

std::string Quantity::str() const {
  return kept_.empty() ? canonical() : kept_;
}

std::string Quantity::canonical() const {
  if (nano_ == 0) return "0";
  Format format = format_;
  __int128 abs = nano_ < 0 ? -nano_ : nano_;
  if (format == Format::binary_si && (abs < 1024 * kNanoPerUnit || abs % kNanoPerUnit != 0))
    format = Format::decimal_si;
  if (format == Format::binary_si) {
    __int128 v = nano_ / kNanoPerUnit;
    int e = 0;
    while (e < 6 && v % 1024 == 0) v /= 1024, ++e;
    static const char* names[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    return i128_text(v) + names[e];
  }
  // AsCanonicalBytes: strip factors of ten, then bring the exponent down to a multiple of three.
  __int128 m = nano_;
  int e = -9;
  while (m % 10 == 0) m /= 10, ++e;
  int mod = ((e % 3) + 3) % 3;
  m *= pow10(mod);
  e -= mod;
  if (format == Format::decimal_exponent || e > 18)
    return e == 0 ? i128_text(m) : i128_text(m) + "e" + std::to_string(e);
  static const char* dec[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
  return i128_text(m) + dec[(e + 9) / 3];
}

}  // namespace skiff::manifest
