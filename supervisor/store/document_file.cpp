#include "store/document_file.hpp"

#include "error.hpp"
#include "sha256.hpp"

namespace skiff::store {
namespace {
constexpr std::string_view kMagic = "skiff-store v1 ";
}

std::string encode_document(const nlohmann::json& doc) {
  std::string body = doc.dump(1) + "\n";
  return std::string(kMagic) + "sha256=" + sha256_hex(body) + " len=" + std::to_string(body.size()) + "\n" +
         body;
}

nlohmann::json decode_document(std::string_view bytes) {
  if (bytes.empty()) throw Error("empty file");
  if (bytes.substr(0, kMagic.size()) != kMagic) throw Error("not a skiff store file (bad header)");
  auto nl = bytes.find('\n');
  if (nl == std::string_view::npos) throw Error("truncated header");
  std::string_view header = bytes.substr(kMagic.size(), nl - kMagic.size());
  std::string_view body = bytes.substr(nl + 1);
  auto sha_at = header.find("sha256=");
  auto len_at = header.find(" len=");
  if (sha_at != 0 || len_at == std::string_view::npos) throw Error("bad header");
  std::string want_sha(header.substr(7, len_at - 7));
  size_t want_len = 0;
  try {
    want_len = std::stoul(std::string(header.substr(len_at + 5)));
  } catch (const std::exception&) {
    throw Error("bad length in header");
  }
  if (body.size() < want_len)
    throw Error("truncated: " + std::to_string(body.size()) + " of " + std::to_string(want_len) + " bytes");
  if (body.size() > want_len) throw Error("trailing bytes after the document");
  if (sha256_hex(body) != want_sha) throw Error("checksum mismatch");
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error("bad JSON at byte " + std::to_string(e.byte));
  }
}

}  // namespace skiff::store
