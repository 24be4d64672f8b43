#include "store/ids.hpp"

#include <sys/random.h>

#include <cctype>
#include <cstdint>
#include <cstdio>

#include "error.hpp"

namespace skiff::store {
namespace {

void random_bytes(void* p, size_t n) {
  auto* b = static_cast<unsigned char*>(p);
  while (n > 0) {
    ssize_t r = ::getrandom(b, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_errno("getrandom");
    b += r;
    n -= static_cast<size_t>(r);
  }
}

std::string dns_problem(const std::string& s, size_t max, bool dots) {
  if (s.empty()) return "must not be empty";
  if (s.size() > max) return "must be no more than " + std::to_string(max) + " characters";
  for (char c : s) {
    bool ok = std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
              c == '-' || (dots && c == '.');
    if (!ok)
      return std::string("must consist of lower case alphanumeric characters, '-'") + (dots ? " or '.'" : "");
  }
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alnum(s.front()) || !alnum(s.back())) return "must start and end with an alphanumeric character";
  return {};
}

}  // namespace

std::string new_uid() {
  uint8_t b[16];
  random_bytes(b, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

std::string random_name_suffix() {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  uint8_t b[5];
  random_bytes(b, sizeof b);
  std::string s;
  for (uint8_t x : b) s += kAlphabet[x % (sizeof kAlphabet - 1)];
  return s;
}

std::string dns_subdomain_problem(const std::string& s) {
  return dns_problem(s, 253, true);
}
std::string dns_label_problem(const std::string& s) {
  return dns_problem(s, 63, false);
}

}  // namespace skiff::store
