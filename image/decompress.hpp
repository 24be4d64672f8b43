// Streaming decompression of layer blobs. The format is taken from the data's magic bytes, not from
// the media type (which registries and tools get wrong). gzip has two engines: ISA-L's igzip (about 3x
// zlib's speed here) when it was built in, and zlib; $SKIFF_INFLATER=zlib|isal picks one for
// measurement.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace skiff::image {

enum class Compression { kNone, kGzip, kZstd };

const char* compression_name(Compression c);

class Decompressor {
 public:
  virtual ~Decompressor() = default;
  // Fills up to n bytes of decompressed data; returns 0 only at the end of the stream. Throws Error on
  // corrupt input (naming `what`).
  virtual size_t read(void* out, size_t n) = 0;
  // Compressed bytes consumed so far.
  virtual uint64_t consumed() const = 0;
};

enum class Inflater { kAuto, kZlib, kIsal };
Inflater inflater_from_env();
bool have_isal();

// Reads from `fd` (not owned; read from its current position). `what` names the blob in errors.
std::unique_ptr<Decompressor> open_decompressor(int fd, const std::string& what,
                                                Inflater inflater = Inflater::kAuto);

}  // namespace skiff::image
