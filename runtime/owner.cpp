#include "owner.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string_view>

#include "file_util.hpp"

namespace skiff {

std::string owner_name(uid_t uid) {
  std::string text;
  try {
    text = read_file("/etc/passwd");
  } catch (...) {
    return std::to_string(uid);
  }
  std::string_view sv(text);
  while (!sv.empty()) {
    auto eol = sv.find('\n');
    std::string_view line = sv.substr(0, eol);
    sv = eol == std::string_view::npos ? std::string_view{} : sv.substr(eol + 1);
    auto c1 = line.find(':');
    if (c1 == std::string_view::npos) continue;
    auto c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    auto c3 = line.find(':', c2 + 1);
    if (line.substr(c2 + 1, c3 - c2 - 1) == std::to_string(uid)) return std::string(line.substr(0, c1));
  }
  return std::to_string(uid);
}

}  // namespace skiff
