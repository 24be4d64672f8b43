#include "decompress.hpp"

#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#ifdef SKIFF_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "error.hpp"

namespace skiff::image {

const char* compression_name(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
    default:
      return "none";
  }
}

bool have_isal() {
#ifdef SKIFF_HAVE_ISAL
  return true;
#else
  return false;
#endif
}

Inflater inflater_from_env() {
  const char* v = std::getenv("SKIFF_INFLATER");
  if (v && std::strcmp(v, "zlib") == 0) return Inflater::kZlib;
  if (v && std::strcmp(v, "isal") == 0) return Inflater::kIsal;
  return Inflater::kAuto;
}

namespace {

constexpr size_t kInputChunk = 1 << 20;

// The compressed input: a buffer refilled from the fd. It starts with the bytes already read to
// sniff the format.
class Input {
 public:
  Input(int fd, std::string what) : fd_(fd), what_(std::move(what)), buf_(kInputChunk) {}
  // Makes sure some unread bytes are buffered; false at EOF.
  bool fill() {
    if (pos_ < len_) return true;
    for (;;) {
      ssize_t n = ::read(fd_, buf_.data(), buf_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno("read " + what_);
      pos_ = 0;
      len_ = static_cast<size_t>(n);
      total_ += len_;
      return n > 0;
    }
  }
  unsigned char* data() { return buf_.data() + pos_; }
  size_t avail() const { return len_ - pos_; }
  void consume(size_t n) { pos_ += n; }
  uint64_t consumed() const { return total_ - avail(); }
  const std::string& what() const { return what_; }

 private:
  int fd_;
  std::string what_;
  std::vector<unsigned char> buf_;
  size_t pos_ = 0, len_ = 0;
  uint64_t total_ = 0;
};

class Plain : public Decompressor {
 public:
  explicit Plain(Input in) : in_(std::move(in)) {}
  size_t read(void* out, size_t n) override {
    if (!in_.fill()) return 0;
    size_t k = std::min(n, in_.avail());
    std::memcpy(out, in_.data(), k);
    in_.consume(k);
    return k;
  }
  uint64_t consumed() const override { return in_.consumed(); }

 private:
  Input in_;
};

class ZlibGzip : public Decompressor {
 public:
  explicit ZlibGzip(Input in) : in_(std::move(in)) {
    std::memset(&z_, 0, sizeof z_);
    if (inflateInit2(&z_, 15 + 16) != Z_OK) throw Error("zlib: init failed");
  }
  ~ZlibGzip() override { inflateEnd(&z_); }
  size_t read(void* out, size_t n) override {
    z_.next_out = static_cast<Bytef*>(out);
    z_.avail_out = static_cast<uInt>(n);
    while (z_.avail_out == n && !done_) {
      bool eof = !in_.fill();
      if (eof && member_done_) {
        done_ = true;
        break;
      }
      // A new gzip member after a finished one (concatenated gzip, which pigz and some tools write).
      if (member_done_) {
        inflateReset(&z_);
        member_done_ = false;
      }
      z_.next_in = in_.data();
      z_.avail_in = static_cast<uInt>(in_.avail());
      size_t before = z_.avail_in;
      int rc = inflate(&z_, Z_NO_FLUSH);
      in_.consume(before - z_.avail_in);
      if (rc == Z_STREAM_END) {
        member_done_ = true;
      } else if (rc == Z_BUF_ERROR && eof) {
        throw Error(in_.what() + ": truncated gzip stream");
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        throw Error(in_.what() + ": corrupt gzip data (" + (z_.msg ? z_.msg : "zlib error") + ")");
      }
    }
    return n - z_.avail_out;
  }
  uint64_t consumed() const override { return in_.consumed(); }

 private:
  Input in_;
  z_stream z_;
  bool member_done_ = false;
  bool done_ = false;
};

#ifdef SKIFF_HAVE_ISAL
class IsalGzip : public Decompressor {
 public:
  explicit IsalGzip(Input in) : in_(std::move(in)) {
    isal_inflate_init(&s_);
    s_.crc_flag = ISAL_GZIP;
  }
  size_t read(void* out, size_t n) override {
    s_.next_out = static_cast<uint8_t*>(out);
    s_.avail_out = static_cast<uint32_t>(n);
    while (s_.avail_out == n && !done_) {
      bool eof = !in_.fill();
      if (s_.block_state == ISAL_BLOCK_FINISH) {
        // End of one gzip member; another may follow.
        if (eof) {
          done_ = true;
          break;
        }
        isal_inflate_reset(&s_);
        s_.crc_flag = ISAL_GZIP;
      }
      s_.next_in = in_.data();
      s_.avail_in = static_cast<uint32_t>(in_.avail());
      uint32_t before = s_.avail_in;
      auto state_before = s_.block_state;
      int rc = isal_inflate(&s_);
      in_.consume(before - s_.avail_in);
      if (rc != ISAL_DECOMP_OK)
        throw Error(in_.what() + ": corrupt gzip data (igzip error " + std::to_string(rc) + ")");
      if (eof && s_.avail_out == n && s_.block_state == state_before && s_.block_state != ISAL_BLOCK_FINISH)
        throw Error(in_.what() + ": truncated gzip stream");
    }
    return n - s_.avail_out;
  }
  uint64_t consumed() const override { return in_.consumed(); }

 private:
  Input in_;
  inflate_state s_{};
  bool done_ = false;
};
#endif

class Zstd : public Decompressor {
 public:
  explicit Zstd(Input in) : in_(std::move(in)), d_(ZSTD_createDStream()) {
    if (!d_) throw Error("zstd: init failed");
  }
  ~Zstd() override { ZSTD_freeDStream(d_); }
  size_t read(void* out, size_t n) override {
    ZSTD_outBuffer ob{out, n, 0};
    while (ob.pos == 0 && !done_) {
      if (!in_.fill()) {
        if (!frame_done_) throw Error(in_.what() + ": truncated zstd stream");
        done_ = true;
        break;
      }
      ZSTD_inBuffer ib{in_.data(), in_.avail(), 0};
      size_t rc = ZSTD_decompressStream(d_, &ob, &ib);
      in_.consume(ib.pos);
      if (ZSTD_isError(rc)) throw Error(in_.what() + ": corrupt zstd data (" + ZSTD_getErrorName(rc) + ")");
      frame_done_ = rc == 0;
    }
    return ob.pos;
  }
  uint64_t consumed() const override { return in_.consumed(); }

 private:
  Input in_;
  ZSTD_DStream* d_;
  bool frame_done_ = true;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<Decompressor> open_decompressor(int fd, const std::string& what, Inflater inflater) {
  Input in(fd, what);
  Compression c = Compression::kNone;
  if (in.fill() && in.avail() >= 4) {
    const unsigned char* p = in.data();
    if (p[0] == 0x1f && p[1] == 0x8b)
      c = Compression::kGzip;
    else if (p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
      c = Compression::kZstd;
  }
  if (inflater == Inflater::kAuto) inflater = inflater_from_env();
  switch (c) {
    case Compression::kGzip:
#ifdef SKIFF_HAVE_ISAL
      if (inflater != Inflater::kZlib) return std::make_unique<IsalGzip>(std::move(in));
#endif
      return std::make_unique<ZlibGzip>(std::move(in));
    case Compression::kZstd:
      return std::make_unique<Zstd>(std::move(in));
    default:
      return std::make_unique<Plain>(std::move(in));
  }
}

}  // namespace skiff::image
