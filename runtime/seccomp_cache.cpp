#include "seccomp_cache.hpp"

#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.hpp"
#include "file_util.hpp"
#include "log.hpp"
#include "sha256.hpp"
#include "unique_fd.hpp"

namespace skiff::seccomp {
namespace {

constexpr const char* kMagic = "skiff-seccomp-bpf/1";
constexpr size_t kMaxInstructions = 4096;  // BPF_MAXINSNS

// Owned by us and writable by nobody else: otherwise another user could plant a filter.
bool trusted(const struct stat& st) {
  return st.st_uid == ::geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

// Entry: "<magic> <key> <sha256 of body> <skipped length>\n" then body = skipped names + program.
std::string encode(const std::string& key, const Program& prog) {
  std::string skipped = join(prog.skipped);
  std::string body = skipped + prog.bpf;
  return std::string(kMagic) + " " + key + " " + sha256_hex(body) + " " + std::to_string(skipped.size()) +
         "\n" + body;
}

bool decode(const std::string& key, const std::string& data, Program* out) {
  auto nl = data.find('\n');
  if (nl == std::string::npos) return false;
  std::string header = data.substr(0, nl);
  std::string body = data.substr(nl + 1);
  std::string expect = std::string(kMagic) + " " + key + " " + sha256_hex(body) + " ";
  if (header.compare(0, expect.size(), expect) != 0) return false;
  size_t skipped_len = 0;
  try {
    skipped_len = std::stoul(header.substr(expect.size()));
  } catch (...) {
    return false;
  }
  if (skipped_len > body.size()) return false;
  std::string bpf = body.substr(skipped_len);
  if (bpf.empty() || bpf.size() % sizeof(sock_filter) || bpf.size() / sizeof(sock_filter) > kMaxInstructions)
    return false;
  out->bpf = std::move(bpf);
  out->skipped.clear();
  std::string names = body.substr(0, skipped_len);
  for (size_t pos = 0, end; (end = names.find('\n', pos)) != std::string::npos; pos = end + 1)
    out->skipped.push_back(names.substr(pos, end - pos));
  return true;
}

bool read_entry(const std::string& dir, const std::string& key, Program* out) {
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dfd) return false;
  struct stat st;
  if (::fstat(dfd.get(), &st) < 0 || !trusted(st)) {
    log::debug("seccomp cache: " + dir + " is not ours alone; not used");
    return false;
  }
  UniqueFd fd(::openat(dfd.get(), key.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return false;
  if (::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode) || !trusted(st) || st.st_size > (1 << 20)) {
    log::debug("seccomp cache: entry " + key + " is not ours alone; not used");
    return false;
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  if (::pread(fd.get(), data.data(), data.size(), 0) != st.st_size) return false;
  if (!decode(key, data, out)) {
    log::debug("seccomp cache: entry " + key + " does not verify; recompiling");
    return false;
  }
  return true;
}

void write_entry(const std::string& dir, const std::string& key, const Program& prog) {
  try {
    std::string root = dir.substr(0, dir.rfind('/'));
    if (::mkdir(root.c_str(), 0711) < 0 && errno != EEXIST) mkdir_all(root, 0711);
    if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) throw_errno("mkdir " + dir);
    struct stat st;
    if (::lstat(dir.c_str(), &st) < 0 || !S_ISDIR(st.st_mode) || !trusted(st)) return;
    write_file_atomic(dir + "/" + key, encode(key, prog), 0600);
  } catch (const Error& e) {
    log::debug(std::string("seccomp cache: not stored: ") + e.what());
  }
}

}  // namespace

std::string cache_dir_for_root(const std::string& state_root) {
  return state_root + "/.seccomp-cache";
}

std::string cache_key(const nlohmann::json& section) {
  const scmp_version* v = seccomp_version();
  std::string material = std::string(kMagic) + "\nlibseccomp " + std::to_string(v->major) + "." +
                         std::to_string(v->minor) + "." + std::to_string(v->micro) + " api " +
                         std::to_string(seccomp_api_get()) + " arch " +
                         std::to_string(seccomp_arch_native()) + "\n" + section.dump();
  return sha256_hex(material);
}

Program compile_cached(const Profile& p, const nlohmann::json& section, const std::string& dir) {
  std::string key = cache_key(section);
  Program prog;
  if (read_entry(dir, key, &prog)) {
    log::debug("seccomp cache: hit " + key);
    return prog;
  }
  prog = compile(p);
  write_entry(dir, key, prog);
  return prog;
}

}  // namespace skiff::seccomp
