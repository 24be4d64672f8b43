#include "digest.hpp"

#include <fcntl.h>
#include <openssl/evp.h>

#include <vector>

#include "error.hpp"
#include "unique_fd.hpp"

namespace skiff::image {

bool Digest::valid(std::string_view text) noexcept {
  if (text.size() != 7 + 64 || text.substr(0, 7) != "sha256:") return false;
  for (char c : text.substr(7))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Digest Digest::parse(std::string_view text) {
  if (!valid(text)) {
    if (text.substr(0, 7) != "sha256:" && text.find(':') != std::string_view::npos)
      throw Error("unsupported digest algorithm in \"" + std::string(text) + "\" (only sha256)");
    throw Error("invalid digest \"" + std::string(text) + "\" (want sha256:<64 lowercase hex digits>)");
  }
  Digest d;
  d.text_ = std::string(text);
  return d;
}

struct Sha256::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1)
    throw Error("sha256: init failed");
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t n) {
  if (n && EVP_DigestUpdate(ctx_->md, data, n) != 1) throw Error("sha256: update failed");
}

Digest Sha256::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (EVP_DigestFinal_ex(ctx_->md, md, &len) != 1 || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1)
    throw Error("sha256: final failed");
  static const char* hexd = "0123456789abcdef";
  std::string s = "sha256:";
  for (unsigned i = 0; i < len; ++i) {
    s += hexd[md[i] >> 4];
    s += hexd[md[i] & 15];
  }
  return Digest::parse(s);
}

Digest sha256_of(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

Digest sha256_of_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open " + path);
  Sha256 h;
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read " + path);
    }
    if (n == 0) break;
    h.update(buf.data(), static_cast<size_t>(n));
  }
  return h.finish();
}

}  // namespace skiff::image
