#include "rootless.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <sstream>

#include "error.hpp"
#include "file_util.hpp"

namespace skiff {
namespace {
enum class Mode { automatic, yes, no };
Mode g_mode = Mode::automatic;
}  // namespace

bool running_in_user_namespace() {
  // Cached per user namespace: one stat instead of reading uid_map on every create, and a process that
  // unshares a user namespace (rootless `skiff run` does) gets the new answer.
  static std::atomic<ino_t> cached_ns{0};
  static std::atomic<bool> cached{false};
  struct stat st {};
  ino_t ns = ::stat("/proc/self/ns/user", &st) == 0 ? st.st_ino : 0;
  if (ns != 0 && cached_ns.load(std::memory_order_acquire) == ns)
    return cached.load(std::memory_order_relaxed);
  std::string map;
  try {
    map = read_file("/proc/self/uid_map");
  } catch (const Error&) {
    return false;  // no /proc: nothing says otherwise
  }
  std::istringstream in(map);
  unsigned long inside = 1, outside = 1, count = 0;
  in >> inside >> outside >> count;
  std::string more;
  // The initial namespace maps all 2^32-1 ids onto themselves in one line.
  bool in_userns = !(inside == 0 && outside == 0 && count == 4294967295UL && !(in >> more));
  cached.store(in_userns, std::memory_order_relaxed);
  cached_ns.store(ns, std::memory_order_release);
  return in_userns;
}

void set_rootless_mode(const std::string& mode) {
  if (mode == "auto" || mode.empty())
    g_mode = Mode::automatic;
  else if (mode == "true")
    g_mode = Mode::yes;
  else if (mode == "false")
    g_mode = Mode::no;
  else
    throw Error("--rootless \"" + mode + "\": must be true, false or auto");
}

bool is_rootless() {
  if (g_mode != Mode::automatic) return g_mode == Mode::yes;
  return ::geteuid() != 0 || running_in_user_namespace();
}

}  // namespace skiff
