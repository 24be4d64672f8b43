#include "manifest/base64.hpp"

#include <array>

namespace skiff::manifest {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int, 256> make_table() {
  std::array<int, 256> t{};
  for (int& x : t) x = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = i;
  return t;
}
constexpr auto kTable = make_table();

}  // namespace

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in, std::string* error) {
  std::string out;
  uint32_t acc = 0;
  int n = 0;    // sextets in the current quantum
  int pad = 0;  // '=' seen in the current quantum
  size_t quantum_start = 0;
  auto fail = [&](size_t at) -> std::optional<std::string> {
    if (error) *error = "illegal base64 data at input byte " + std::to_string(at);
    return std::nullopt;
  };
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\r' || c == '\n') continue;
    if (n == 0 && pad == 0) quantum_start = i;
    if (c == '=') {
      if (n < 2) return fail(i);
      ++pad;
      if (n + pad == 4) {
        if (pad == 1)
          out += char(acc >> 10), out += char((acc >> 2) & 0xff);
        else
          out += char(acc >> 4);
        n = 0, pad = 0, acc = 0;
        // nothing but line breaks may follow the padding
        for (size_t k = i + 1; k < in.size(); ++k)
          if (in[k] != '\r' && in[k] != '\n') return fail(k);
        return out;
      }
      continue;
    }
    if (pad) return fail(i);
    int d = kTable[static_cast<unsigned char>(c)];
    if (d < 0) return fail(i);
    acc = (acc << 6) | d;
    if (++n == 4) {
      out += char(acc >> 16), out += char((acc >> 8) & 0xff), out += char(acc & 0xff);
      n = 0, acc = 0;
    }
  }
  if (n != 0 || pad != 0) return fail(quantum_start + n + pad > in.size() ? in.size() : in.size());
  return out;
}

}  // namespace skiff::manifest
