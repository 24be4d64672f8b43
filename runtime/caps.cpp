#include "caps.hpp"

#include <linux/capability.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

#include "error.hpp"
#include "log.hpp"
#include "sync.hpp"

namespace skiff {
namespace {

int last_cap() {
  static int last = [] {
    int n = static_cast<int>(cap_max_bits());
    return n > 0 ? n - 1 : CAP_LAST_CAP;
  }();
  return last;
}

std::vector<int> resolve(const std::vector<std::string>& names, const char* set) {
  std::vector<int> out;
  for (const auto& name : names) {
    // libcap also accepts numbers and lower case; the spec's names are "CAP_" + upper case.
    bool shaped = name.rfind("CAP_", 0) == 0 && name.size() > 4;
    for (char c : name)
      shaped = shaped && (std::isupper(static_cast<unsigned char>(c)) || c == '_' ||
                          std::isdigit(static_cast<unsigned char>(c)));
    cap_value_t v;
    if (!shaped || cap_from_name(name.c_str(), &v) < 0)
      throw Error(std::string("process.capabilities.") + set + ": unknown capability \"" + name + "\"");
    if (v > last_cap()) {
      log::debug("capability " + name + " is not known to this kernel: skipped");
      continue;
    }
    out.push_back(v);
  }
  return out;
}

}  // namespace

CapsPlan plan_caps(const std::optional<spec::Capabilities>& caps) {
  CapsPlan p;
  if (!caps) return p;
  p.present = true;
  p.bounding = resolve(caps->bounding, "bounding");
  p.effective = resolve(caps->effective, "effective");
  p.permitted = resolve(caps->permitted, "permitted");
  p.inheritable = resolve(caps->inheritable, "inheritable");
  p.ambient = resolve(caps->ambient, "ambient");
  return p;
}

std::vector<std::string> known_capabilities() {
  std::vector<std::string> out;
  for (int c = 0; c <= last_cap(); ++c) {
    char* n = cap_to_name(c);
    if (!n) continue;
    std::string s(n);
    cap_free(n);
    for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (s.rfind("CAP_", 0) == 0) out.push_back(s);
  }
  return out;
}

void child_caps_before_user(const CapsPlan& p) noexcept {
  if (!p.present) return;
  bool keep[64] = {};
  for (int c : p.bounding) keep[c] = true;
  for (int c = 0; c <= last_cap(); ++c) {
    if (keep[c]) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      child_fail(errno, "drop capability %d from the bounding set", c);
  }
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) child_fail(errno, "set keep-caps");
}

void child_caps_after_user(const CapsPlan& p) noexcept {
  if (!p.present) return;
  // capset directly: two 32-bit words per set, no allocation.
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  auto set = [&](const std::vector<int>& caps, __u32 __user_cap_data_struct::*field) {
    for (int c : caps) data[c / 32].*field |= 1u << (c % 32);
  };
  set(p.effective, &__user_cap_data_struct::effective);
  set(p.permitted, &__user_cap_data_struct::permitted);
  set(p.inheritable, &__user_cap_data_struct::inheritable);
  if (syscall(SYS_capset, &hdr, data) < 0) child_fail(errno, "set capabilities");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    child_fail(errno, "clear ambient capabilities");
  for (int c : p.ambient) {
    // Raising needs the cap in permitted and inheritable; runc ignores failures here too.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
      log::debug("cannot raise ambient capability " + std::to_string(c));
  }
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) child_fail(errno, "clear keep-caps");
}

}  // namespace skiff
