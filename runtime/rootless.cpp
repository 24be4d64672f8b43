#include "rootless.hpp"

#include <unistd.h>

#include <sstream>

#include "error.hpp"
#include "file_util.hpp"

namespace skiff {
namespace {
enum class Mode { automatic, yes, no };
Mode g_mode = Mode::automatic;
}  // namespace

bool running_in_user_namespace() {
  // Read once: a process does not change its user namespace (the runtime never setns's its own).
  static const bool in_userns = [] {
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
    return !(inside == 0 && outside == 0 && count == 4294967295UL && !(in >> more));
  }();
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
  static const bool rootless = ::geteuid() != 0 || running_in_user_namespace();
  return rootless;
}

}  // namespace skiff
