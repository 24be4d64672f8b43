// The on-disk form of one stored document (an object, a status, the revision ceiling): a header line
// carrying the SHA-256 and length of the JSON that follows. write_file_atomic already keeps a crash from
// leaving a half-written file behind; the checksum catches what it cannot: a flash page that rotted, a
// file truncated by a filesystem that lost its journal, a hand edit gone wrong. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace skiff::store {

std::string encode_document(const nlohmann::json& doc);
// Throws skiff::Error saying what is wrong ("truncated: 120 of 300 bytes", "checksum mismatch",
// "not a skiff store file", "bad JSON at byte 17").
nlohmann::json decode_document(std::string_view bytes);

}  // namespace skiff::store
