// The user name of a uid from /etc/passwd (no NSS: the runtime links statically), or the number.
#pragma once

#include <sys/types.h>

#include <string>

namespace skiff {
std::string owner_name(uid_t uid);
}
