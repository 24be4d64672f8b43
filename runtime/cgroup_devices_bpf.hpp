// The cgroup v2 device controller: a BPF_PROG_TYPE_CGROUP_DEVICE program built from the rules and
// attached to the container's cgroup (replacing the one attached before, for `update`).
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "cgroup.hpp"

namespace skiff {

// The program for `rules`, with v1's meaning: rules apply in order, the last matching rule decides
// and a request no rule matches is denied.
// One BPF instruction laid out as struct bpf_insn (dst_reg in the low nibble of `regs`); a plain struct
// because g++ 12 warns falsely on vectors of the kernel's bit-field struct.
struct BpfInsn {
  uint8_t code;
  uint8_t regs;
  int16_t off;
  int32_t imm;
};
static_assert(sizeof(BpfInsn) == sizeof(struct bpf_insn));

std::vector<BpfInsn> device_program(const std::vector<CgroupDeviceRule>& rules);

// Loads the program and attaches it to the cgroup directory `dir`; earlier device programs attached
// by us are detached once the new one is in place. Throws Error with the verifier's log on failure.
void attach_device_program(const std::string& dir, const std::vector<CgroupDeviceRule>& rules);

}  // namespace skiff
