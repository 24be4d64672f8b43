#include "seccomp.hpp"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "error.hpp"
#include "log.hpp"
#include "seccomp_cache.hpp"
#include "sync.hpp"
#include "unique_fd.hpp"

namespace skiff::seccomp {
namespace {

using json = nlohmann::json;

struct Named {
  const char* name;
  uint32_t value;
};

// Actions without their errno part; ERRNO and TRACE take errnoRet (default EPERM).
constexpr Named kActions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
};

constexpr Named kOperators[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

constexpr const char* kArchitectures[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
};

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

constexpr Named kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

template <size_t N>
const Named* lookup(const Named (&table)[N], const std::string& name) {
  for (const auto& e : table)
    if (name == e.name) return &e;
  return nullptr;
}

const std::string& string_at(const json& v, const std::string& where) {
  if (!v.is_string()) throw Error("seccomp: " + where + " must be a string");
  return v.get_ref<const std::string&>();
}

uint64_t uint_at(const json& v, const std::string& where) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  throw Error("seccomp: " + where + " must be a non-negative integer");
}

uint32_t action_from(const std::string& name, const json* errno_ret, const std::string& where) {
  const Named* a = lookup(kActions, name);
  if (!a) throw Error("seccomp: unknown action \"" + name + "\" in " + where);
  bool takes_errno = name == "SCMP_ACT_ERRNO" || name == "SCMP_ACT_TRACE";
  if (errno_ret && !errno_ret->is_null() && !takes_errno)
    throw Error("seccomp: " + where + ": errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not " +
                name);
  if (!takes_errno) return a->value;
  uint64_t e = EPERM;
  if (errno_ret && !errno_ret->is_null()) e = uint_at(*errno_ret, where + ".errnoRet");
  if (e > 0xffff) throw Error("seccomp: " + where + ".errnoRet " + std::to_string(e) + " is out of range");
  return a->value | static_cast<uint32_t>(e);
}

const json* member(const json& o, const char* key) {
  auto it = o.find(key);
  return it == o.end() || it->is_null() ? nullptr : &*it;
}

std::string lower_arch(const std::string& name) {
  std::string s = name.substr(strlen("SCMP_ARCH_"));
  for (auto& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

// seccomp(SECCOMP_SET_MODE_FILTER, flag, NULL): EFAULT means the kernel knows the flag.
bool kernel_has_flag(unsigned long flag) {
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, nullptr) < 0 && errno == EFAULT;
}

}  // namespace

Profile parse_profile(const json& s) {
  if (!s.is_object()) throw Error("seccomp: linux.seccomp must be an object");
  Profile p;
  const json* da = member(s, "defaultAction");
  if (!da) throw Error("seccomp: defaultAction is required");
  p.default_action =
      action_from(string_at(*da, "defaultAction"), member(s, "defaultErrnoRet"), "defaultAction");
  if (p.default_action == SCMP_ACT_NOTIFY)
    throw Error("seccomp: SCMP_ACT_NOTIFY cannot be the defaultAction");

  if (const json* archs = member(s, "architectures")) {
    if (!archs->is_array()) throw Error("seccomp: architectures must be an array");
    for (const auto& a : *archs) {
      const std::string& name = string_at(a, "architectures[]");
      bool known = std::any_of(std::begin(kArchitectures), std::end(kArchitectures),
                               [&](const char* k) { return name == k; });
      uint32_t token = known ? seccomp_arch_resolve_name(lower_arch(name).c_str()) : 0;
      if (!token) throw Error("seccomp: unknown architecture \"" + name + "\"");
      p.architectures.push_back(token);
    }
  }
  if (const json* flags = member(s, "flags")) {
    if (!flags->is_array()) throw Error("seccomp: flags must be an array");
    for (const auto& f : *flags) {
      const std::string& name = string_at(f, "flags[]");
      const Named* n = lookup(kFlags, name);
      if (!n) throw Error("seccomp: unknown flag \"" + name + "\"");
      p.flags |= n->value;
    }
  }
  if (const json* sys = member(s, "syscalls")) {
    if (!sys->is_array()) throw Error("seccomp: syscalls must be an array");
    for (size_t i = 0; i < sys->size(); ++i) {
      const json& e = (*sys)[i];
      std::string where = "syscalls[" + std::to_string(i) + "]";
      if (!e.is_object()) throw Error("seccomp: " + where + " must be an object");
      SyscallRule r;
      const json* names = member(e, "names");
      if (!names || !names->is_array() || names->empty())
        throw Error("seccomp: " + where + ".names must be a non-empty array");
      for (const auto& n : *names) r.names.push_back(string_at(n, where + ".names[]"));
      const json* act = member(e, "action");
      if (!act) throw Error("seccomp: " + where + ".action is required");
      r.action = action_from(string_at(*act, where + ".action"), member(e, "errnoRet"), where);
      if (r.action == SCMP_ACT_NOTIFY) p.uses_notify = true;
      if (const json* args = member(e, "args")) {
        if (!args->is_array()) throw Error("seccomp: " + where + ".args must be an array");
        for (const auto& a : *args) {
          if (!a.is_object()) throw Error("seccomp: " + where + ".args[] must be an object");
          ArgCondition c;
          const json* idx = member(a, "index");
          const json* val = member(a, "value");
          const json* op = member(a, "op");
          if (!idx || !val || !op) throw Error("seccomp: " + where + ".args[] needs index, value and op");
          uint64_t index = uint_at(*idx, where + ".args[].index");
          if (index > 5)
            throw Error("seccomp: " + where + ".args[].index " + std::to_string(index) + " is above 5");
          c.index = static_cast<unsigned>(index);
          c.value = uint_at(*val, where + ".args[].value");
          if (const json* v2 = member(a, "valueTwo")) c.value_two = uint_at(*v2, where + ".args[].valueTwo");
          const std::string& opname = string_at(*op, where + ".args[].op");
          const Named* o = lookup(kOperators, opname);
          if (!o) throw Error("seccomp: unknown operator \"" + opname + "\" in " + where);
          c.op = static_cast<int>(o->value);
          r.args.push_back(c);
        }
      }
      p.syscalls.push_back(std::move(r));
    }
  }
  if (const json* lp = member(s, "listenerPath")) p.listener_path = string_at(*lp, "listenerPath");
  if (const json* lm = member(s, "listenerMetadata"))
    p.listener_metadata = string_at(*lm, "listenerMetadata");
  if (!p.listener_metadata.empty() && p.listener_path.empty())
    throw Error("seccomp: listenerMetadata is set but listenerPath is not");
  if (p.uses_notify && p.listener_path.empty()) throw Error("seccomp: SCMP_ACT_NOTIFY needs listenerPath");
  if (p.uses_notify && p.listener_path.size() >= sizeof(sockaddr_un{}.sun_path))
    throw Error("seccomp: listenerPath \"" + p.listener_path + "\" is too long for a unix socket");
  return p;
}

Program compile(const Profile& p) {
  scmp_filter_ctx ctx = seccomp_init(p.default_action);
  if (!ctx) throw Error("seccomp: libseccomp refused the default action");
  struct Release {
    scmp_filter_ctx c;
    ~Release() { seccomp_release(c); }
  } release{ctx};
  for (uint32_t arch : p.architectures) {
    int rc = seccomp_arch_add(ctx, arch);
    if (rc < 0 && rc != -EEXIST) throw Error(-rc, "seccomp: add architecture");
  }
  Program out;
  std::set<std::string> skipped;
  for (const auto& r : p.syscalls) {
    if (r.action == p.default_action) continue;  // libseccomp refuses a rule that changes nothing
    std::vector<scmp_arg_cmp> conds;
    for (const auto& a : r.args)
      conds.push_back({a.index, static_cast<scmp_compare>(a.op), a.value, a.value_two});
    // libseccomp takes one condition per argument in a rule: conditions that repeat an argument
    // become one rule each (any of them matches), as runc does.
    std::set<unsigned> indexes;
    for (const auto& a : r.args) indexes.insert(a.index);
    bool one_rule = indexes.size() == r.args.size();
    for (const auto& name : r.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        skipped.insert(name);
        continue;
      }
      auto add = [&](unsigned n, const scmp_arg_cmp* c) {
        int rc = seccomp_rule_add_array(ctx, r.action, nr, n, c);
        if (rc < 0) throw Error(-rc, "seccomp: add rule for " + name);
      };
      if (one_rule) {
        add(static_cast<unsigned>(conds.size()), conds.data());
      } else {
        for (const auto& c : conds) add(1, &c);
      }
    }
  }
  UniqueFd mem(static_cast<int>(syscall(SYS_memfd_create, "skiff-seccomp-bpf", MFD_CLOEXEC)));
  if (!mem) throw Error(errno, "seccomp: memfd_create");
  int rc = seccomp_export_bpf(ctx, mem.get());
  if (rc < 0) throw Error(-rc, "seccomp: export the filter");
  off_t len = lseek(mem.get(), 0, SEEK_END);
  if (len <= 0 || len % sizeof(sock_filter)) throw Error("seccomp: libseccomp exported an empty program");
  out.bpf.resize(static_cast<size_t>(len));
  if (pread(mem.get(), out.bpf.data(), out.bpf.size(), 0) != len)
    throw Error(errno, "seccomp: read the filter");
  out.skipped.assign(skipped.begin(), skipped.end());
  return out;
}

Plan plan(const json& section, const std::string& cache_dir) {
  Plan pl;
  if (section.is_null()) return pl;
  Profile p = parse_profile(section);
  pl.present = true;
  pl.notify = p.uses_notify;
  pl.listener_path = p.listener_path;
  pl.listener_metadata = p.listener_metadata;
  for (const auto& f : kFlags) {
    if (!(p.flags & f.value)) continue;
    if (f.value == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !p.uses_notify) {
      log::debug("seccomp: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored: no SCMP_ACT_NOTIFY rule");
      continue;
    }
    if (!kernel_has_flag(f.value))
      throw Error(std::string("seccomp: flag ") + f.name + " is not supported by this kernel");
    pl.flags |= f.value;
  }
  if (p.uses_notify) {
    pl.flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // The kernel refuses TSYNC with a listener unless a failed sync is reported as ESRCH.
    if (pl.flags & SECCOMP_FILTER_FLAG_TSYNC) pl.flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  }
  pl.program = cache_dir.empty() ? compile(p) : compile_cached(p, section, cache_dir);
  for (const auto& name : pl.program.skipped)
    log::debug("seccomp: skipping unknown syscall \"" + name + "\"");
  return pl;
}

int child_load(const Plan& p) noexcept {
  sock_fprog prog;
  prog.len = static_cast<unsigned short>(p.program.bpf.size() / sizeof(sock_filter));
  prog.filter = reinterpret_cast<sock_filter*>(const_cast<char*>(p.program.bpf.data()));
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p.flags, &prog);
  if (fd < 0) child_fail(errno, "load the seccomp filter");
  return p.notify ? static_cast<int>(fd) : -1;
}

void child_apply(const Plan& p, int sync_fd) noexcept {
  int fd = child_load(p);
  if (fd < 0) return;
  if (sync_send(sync_fd, SyncType::seccomp_fd, 0, nullptr, fd) < 0)
    child_fail(errno, "send the seccomp notify fd");
  close(fd);
}

void send_to_listener(const Plan& p, int notify_fd, pid_t pid, const std::string& oci_version,
                      const std::string& state_json) {
  nlohmann::ordered_json msg;
  msg["ociVersion"] = oci_version;
  msg["fds"] = {"seccompFd"};
  msg["pid"] = pid;
  if (!p.listener_metadata.empty()) msg["metadata"] = p.listener_metadata;
  msg["state"] = nlohmann::ordered_json::parse(state_json);
  std::string text = msg.dump();

  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) throw Error(errno, "seccomp: socket");
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, p.listener_path.data(), p.listener_path.size());
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    throw Error(errno, "seccomp: connect to listener " + p.listener_path);
  // The fd rides on the first sendmsg; the rest of the JSON, if any, follows on plain sends.
  iovec iov = {text.data(), text.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr mh = {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  cmsghdr* cm = CMSG_FIRSTHDR(&mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &notify_fd, sizeof(int));
  ssize_t n;
  do n = ::sendmsg(sock.get(), &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) throw Error(errno, "seccomp: send to listener " + p.listener_path);
  size_t sent = static_cast<size_t>(n);
  while (sent < text.size()) {
    n = ::send(sock.get(), text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(errno, "seccomp: send to listener " + p.listener_path);
    sent += static_cast<size_t>(n);
  }
}

std::vector<std::string> known_actions() {
  std::vector<std::string> v;
  for (const auto& a : kActions) v.push_back(a.name);
  return v;
}
std::vector<std::string> known_operators() {
  std::vector<std::string> v;
  for (const auto& o : kOperators) v.push_back(o.name);
  return v;
}
std::vector<std::string> known_architectures() {
  std::vector<std::string> v;
  for (const char* a : kArchitectures)
    if (seccomp_arch_resolve_name(lower_arch(a).c_str())) v.push_back(a);
  return v;
}
std::vector<std::string> known_flags() {
  std::vector<std::string> v;
  for (const auto& f : kFlags) v.push_back(f.name);
  return v;
}
std::vector<std::string> supported_flags() {
  std::vector<std::string> v;
  for (const auto& f : kFlags)
    if (kernel_has_flag(f.value)) v.push_back(f.name);
  return v;
}

}  // namespace skiff::seccomp
