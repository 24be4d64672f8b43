#include "sysctl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "error.hpp"
#include "unique_fd.hpp"

namespace skiff::net {

static std::string path_of(const std::string& ifname, const std::string& key) {
  // An interface name with '/' or ".." would walk out of conf/: refuse (the kernel never allows them).
  if (ifname.empty() || ifname.find('/') != std::string::npos || ifname == "." || ifname == ".." ||
      ifname == "all" || ifname == "default")
    throw Error(EINVAL, "refusing sysctl for interface \"" + ifname + "\"");
  return "/proc/sys/net/ipv4/conf/" + ifname + "/" + key;
}

std::optional<std::string> read_if_sysctl(const std::string& ifname, const std::string& key) {
  std::string p = path_of(ifname, key);
  UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno("open " + p);
  }
  char buf[64];
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n < 0) throw_errno("read " + p);
  std::string v(buf, static_cast<size_t>(n));
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
  return v;
}

void write_if_sysctl(const std::string& ifname, const std::string& key, const std::string& value) {
  std::string p = path_of(ifname, key);
  UniqueFd fd(::open(p.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw_errno("open " + p);
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
    throw_errno("write " + p);
}

}  // namespace skiff::net
