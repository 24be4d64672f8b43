// SHA-256 (FIPS 180-4) for what must not load libcrypto: the runtime (its seccomp filter cache key
// and checksum) and the supervisor store's file checksums.
// The runtime starts for every container operation: a few dozen lines here spare loading libcrypto.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace skiff {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  std::array<uint8_t, 32> digest();  // finishes; the object is spent afterwards

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

// Lower-case hex of the SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace skiff
