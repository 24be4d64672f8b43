// seccomp from the OCI linux.seccomp section: parsed and validated by the parent (an unknown action,
// operator, architecture or flag is an error naming it), compiled to a classic BPF program with
// libseccomp (or taken from the filter cache, seccomp_cache.hpp), and loaded by the child with the raw
// seccomp(2) call just before exec. Syscall names libseccomp does not know are skipped, as runc does,
// and listed in the debug log.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace skiff::seccomp {

struct ArgCondition {
  unsigned index = 0;  // 0..5
  uint64_t value = 0;
  uint64_t value_two = 0;
  int op = 0;  // enum scmp_compare
};

struct SyscallRule {
  std::vector<std::string> names;
  uint32_t action = 0;  // libseccomp action value, errno folded in
  std::vector<ArgCondition> args;
};

struct Profile {
  uint32_t default_action = 0;
  std::vector<uint32_t> architectures;  // libseccomp SCMP_ARCH_* tokens
  unsigned flags = 0;                   // SECCOMP_FILTER_FLAG_* asked for by the profile
  std::vector<SyscallRule> syscalls;
  bool uses_notify = false;
  std::string listener_path;
  std::string listener_metadata;
};

// Validates the section. Throws skiff::Error("seccomp: ...") naming the bad value.
Profile parse_profile(const nlohmann::json& section);

struct Program {
  std::string bpf;                   // struct sock_filter[], as the kernel takes it
  std::vector<std::string> skipped;  // syscall names libseccomp does not know
};

// Compiles with libseccomp. Throws skiff::Error on a rule libseccomp refuses.
Program compile(const Profile& p);

// What the child loads: the program plus how to load it and where the notify fd goes.
struct Plan {
  bool present = false;
  Program program;
  unsigned flags = 0;  // passed to seccomp(SECCOMP_SET_MODE_FILTER), NEW_LISTENER included for notify
  bool notify = false;
  std::string listener_path;
  std::string listener_metadata;
};

// Parses, then compiles (through the cache in `cache_dir` when not empty). A null section: no seccomp.
Plan plan(const nlohmann::json& section, const std::string& cache_dir);

// Child: loads the filter. Returns the notify listener fd (O_CLOEXEC) or -1. Fails through child_fail.
int child_load(const Plan& p) noexcept;
// Child: loads the filter and, for SCMP_ACT_NOTIFY, hands the listener fd to the runtime over the
// sync socket (SyncType::seccomp_fd) and closes our copy.
void child_apply(const Plan& p, int sync_fd) noexcept;

// Parent: connects to the listener socket and sends the container process state (runtime-spec's
// "seccompFd" in SCM_RIGHTS, JSON payload). `state_json` is the OCI state of the container.
void send_to_listener(const Plan& p, int notify_fd, pid_t pid, const std::string& oci_version,
                      const std::string& state_json);

// For `features`: every name this build accepts.
std::vector<std::string> known_actions();
std::vector<std::string> known_operators();
std::vector<std::string> known_architectures();
std::vector<std::string> known_flags();
// The flags this kernel supports (probed).
std::vector<std::string> supported_flags();

}  // namespace skiff::seccomp
