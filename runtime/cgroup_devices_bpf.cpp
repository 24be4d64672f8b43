#include "cgroup_devices_bpf.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "error.hpp"
#include "unique_fd.hpp"

namespace skiff {
namespace {

// Registers once the context is loaded: R2 type, R3 access, R4 major, R5 minor; R1 is scratch.
constexpr uint8_t kType = BPF_REG_2, kAccess = BPF_REG_3, kMajor = BPF_REG_4, kMinor = BPF_REG_5;

BpfInsn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  return BpfInsn{code, static_cast<uint8_t>((dst & 0xf) | ((src & 0xf) << 4)), off, imm};
}

BpfInsn load_ctx_u32(uint8_t dst, int16_t off) {
  return insn(BPF_LDX | BPF_W | BPF_MEM, dst, BPF_REG_1, off, 0);
}
BpfInsn alu_imm(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
BpfInsn mov_reg(uint8_t dst, uint8_t src) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
BpfInsn jne_imm(uint8_t dst, int32_t imm, int16_t off) {
  return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm);
}
BpfInsn jeq_imm(uint8_t dst, int32_t imm, int16_t off) {
  return insn(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, off, imm);
}
BpfInsn exit_insn() {
  return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

int access_mask(const std::string& access) {
  int m = 0;
  for (char c : access) {
    if (c == 'm') m |= BPF_DEVCG_ACC_MKNOD;
    if (c == 'r') m |= BPF_DEVCG_ACC_READ;
    if (c == 'w') m |= BPF_DEVCG_ACC_WRITE;
  }
  return m;
}

long bpf(int cmd, union bpf_attr* attr) {
  return ::syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

}  // namespace

std::vector<BpfInsn> device_program(const std::vector<CgroupDeviceRule>& rules) {
  std::vector<BpfInsn> p;
  // struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major; u32 minor; }
  p.push_back(load_ctx_u32(kType, 0));
  p.push_back(mov_reg(kAccess, kType));
  p.push_back(alu_imm(BPF_AND, kType, 0xffff));
  p.push_back(alu_imm(BPF_RSH, kAccess, 16));
  p.push_back(load_ctx_u32(kMajor, 4));
  p.push_back(load_ctx_u32(kMinor, 8));
  // Last rule first: the first match in the program is the last match in the list.
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    const CgroupDeviceRule& r = *it;
    std::vector<BpfInsn> block;
    std::vector<size_t> skips;  // jumps to the end of this block
    if (r.type != 'a') {
      skips.push_back(block.size());
      block.push_back(jne_imm(kType, r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
    }
    int mask = access_mask(r.access);
    if (mask != (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)) {
      // An allow rule matches a request it fully covers; a deny rule one it touches at all.
      block.push_back(mov_reg(BPF_REG_1, kAccess));
      block.push_back(alu_imm(BPF_AND, BPF_REG_1, r.allow ? ~mask : mask));
      skips.push_back(block.size());
      block.push_back(r.allow ? jne_imm(BPF_REG_1, 0, 0) : jeq_imm(BPF_REG_1, 0, 0));
    }
    if (r.major >= 0) {
      skips.push_back(block.size());
      block.push_back(jne_imm(kMajor, static_cast<int32_t>(r.major), 0));
    }
    if (r.minor >= 0) {
      skips.push_back(block.size());
      block.push_back(jne_imm(kMinor, static_cast<int32_t>(r.minor), 0));
    }
    block.push_back(alu_imm(BPF_MOV, BPF_REG_0, r.allow ? 1 : 0));
    block.push_back(exit_insn());
    for (size_t s : skips) block[s].off = static_cast<int16_t>(block.size() - s - 1);
    p.insert(p.end(), block.begin(), block.end());
    // A rule matching everything ends the program: the verifier rejects unreachable code after it.
    if (skips.empty()) return p;
  }
  p.push_back(alu_imm(BPF_MOV, BPF_REG_0, 0));
  p.push_back(exit_insn());
  return p;
}

void attach_device_program(const std::string& dir, const std::vector<CgroupDeviceRule>& rules) {
  UniqueFd cg(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cg) throw Error(errno, "open cgroup " + dir);

  // Programs attached before (by an earlier create or update), to detach once the new one is in.
  uint32_t old_ids[64];
  union bpf_attr q;
  std::memset(&q, 0, sizeof q);
  q.query.target_fd = static_cast<uint32_t>(cg.get());
  q.query.attach_type = BPF_CGROUP_DEVICE;
  q.query.prog_ids = reinterpret_cast<uint64_t>(old_ids);
  q.query.prog_cnt = 64;
  uint32_t n_old = bpf(BPF_PROG_QUERY, &q) == 0 ? q.query.prog_cnt : 0;

  auto prog = device_program(rules);
  auto load = [&](char* log, uint32_t log_size) {
    union bpf_attr a;
    std::memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    a.insns = reinterpret_cast<uint64_t>(prog.data());
    a.insn_cnt = static_cast<uint32_t>(prog.size());
    a.license = reinterpret_cast<uint64_t>("Apache");
    a.log_buf = reinterpret_cast<uint64_t>(log);
    a.log_size = log_size;
    a.log_level = log ? 1 : 0;
    return static_cast<int>(bpf(BPF_PROG_LOAD, &a));
  };
  // Without a log first: a verbose log of a good program can overflow the buffer (ENOSPC).
  UniqueFd pfd(load(nullptr, 0));
  if (!pfd) {
    int err = errno;
    std::string log(1 << 16, '\0');
    load(log.data(), static_cast<uint32_t>(log.size()));
    log.resize(std::strlen(log.c_str()));
    for (auto& ch : log)
      if (ch == '\n') ch = ' ';
    throw Error(err, "load the device BPF program" + (log.empty() ? "" : " (" + log + ")"));
  }

  union bpf_attr a;
  std::memset(&a, 0, sizeof a);
  a.target_fd = static_cast<uint32_t>(cg.get());
  a.attach_bpf_fd = static_cast<uint32_t>(pfd.get());
  a.attach_type = BPF_CGROUP_DEVICE;
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &a) < 0) throw Error(errno, "attach the device BPF program to " + dir);

  for (uint32_t i = 0; i < n_old && i < 64; ++i) {
    union bpf_attr g;
    std::memset(&g, 0, sizeof g);
    g.prog_id = old_ids[i];
    UniqueFd old(static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, &g)));
    if (!old) continue;
    std::memset(&a, 0, sizeof a);
    a.target_fd = static_cast<uint32_t>(cg.get());
    a.attach_bpf_fd = static_cast<uint32_t>(old.get());
    a.attach_type = BPF_CGROUP_DEVICE;
    bpf(BPF_PROG_DETACH, &a);
  }
}

}  // namespace skiff
