// Capabilities (libcap): names resolved by the parent (an unknown name is an error naming it), sets
// applied by the child in the order the kernel needs around the uid switch:
// bounding drop -> keep-caps -> setuid -> capset(effective, permitted, inheritable) -> ambient raise.
#pragma once

#include <string>
#include <vector>

#include "spec.hpp"

namespace skiff {

struct CapsPlan {
  bool present = false;  // process.capabilities was given (absent: leave the caller's sets alone)
  std::vector<int> bounding, effective, permitted, inheritable, ambient;
};

// Throws Error("unknown capability \"CAP_X\"") for names libcap does not know. Capabilities the
// running kernel does not have are skipped (debug log), as runc does.
CapsPlan plan_caps(const std::optional<spec::Capabilities>& caps);

// Every capability name libcap knows that this kernel has ("CAP_CHOWN", ...), for `features`.
std::vector<std::string> known_capabilities();

// Child, before the uid switch: drops what is not in the bounding set and sets keep-caps.
void child_caps_before_user(const CapsPlan& p) noexcept;
// Child, after the uid switch: sets effective/permitted/inheritable, raises ambient, clears keep-caps.
void child_caps_after_user(const CapsPlan& p) noexcept;

}  // namespace skiff
