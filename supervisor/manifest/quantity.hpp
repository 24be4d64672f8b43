// Kubernetes' resource.Quantity: `250m`, `64Mi`, `1.5`, `1e3`, parsed exactly as ParseQuantity does
// (values finer than a nano rounded up, binary values capped at 2^63-1) and printed in its canonical form
// (`1.5` -> `1500m`, `1000` -> `1k`, `1024Mi` -> `1Gi`), or as written where Kubernetes keeps the string.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace skiff::manifest {

class Quantity {
 public:
  enum class Format { decimal_si, binary_si, decimal_exponent };

  Quantity() = default;
  // Kubernetes' parser. On failure returns nullopt and, when `error` is given, its message.
  static std::optional<Quantity> parse(std::string_view text, std::string* error = nullptr);
  static Quantity from_milli(int64_t milli, Format format = Format::decimal_si);
  static Quantity from_value(int64_t value, Format format = Format::decimal_si);

  int64_t value() const;        // rounded up (away from zero), as Quantity.Value()
  int64_t milli_value() const;  // rounded up, as Quantity.MilliValue()
  double as_double() const;
  bool is_zero() const { return nano_ == 0; }
  int sign() const { return nano_ < 0 ? -1 : nano_ > 0; }
  bool is_integer() const;  // a whole number of units
  Format format() const { return format_; }

  // SetDefaults_ResourceList: values finer than a milli are rounded up to one.
  void round_up_to_milli();

  std::string str() const;

  friend bool operator==(const Quantity& a, const Quantity& b) { return a.nano_ == b.nano_; }
  friend std::strong_ordering operator<=>(const Quantity& a, const Quantity& b) {
    return a.nano_ <=> b.nano_;
  }

 private:
  std::string canonical() const;
  __int128 nano_ = 0;  // the value in units of 10^-9
  Format format_ = Format::decimal_si;
  std::string kept_;  // the text as written, where Kubernetes keeps it (already canonical)
};

}  // namespace skiff::manifest
