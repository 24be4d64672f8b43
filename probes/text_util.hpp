// Text from the outside (response bodies, command output) made safe to keep and to put in JSON.
#pragma once

#include <string>
#include <string_view>

namespace skiff::probes {

// `s` with every invalid UTF-8 sequence replaced by U+FFFD, as Go's JSON encoder does.
std::string valid_utf8(std::string_view s);

// At most `max` bytes of `s`, cut before an incomplete UTF-8 sequence.
std::string truncate_utf8(std::string_view s, size_t max);

// Go's %q, roughly: quoted, backslash and quote escaped, bytes outside printable ASCII as \xNN;
// longer than `max` bytes is cut and marked "...".
std::string go_quote(std::string_view s, size_t max = std::string_view::npos);

// strerror as Go's syscall errors read: "connection refused", lower case.
std::string errno_text(int err);

}  // namespace skiff::probes
