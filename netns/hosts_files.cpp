#include "hosts_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <sstream>

#include "error.hpp"
#include "file_util.hpp"
#include "unique_fd.hpp"

namespace skiff::net {

std::string render_hosts(const NetworkConfig& net, const std::vector<Allocation>& members) {
  std::string out = "# Written by skiff for network " + net.name +
                    "; rewritten when containers come and go.\n"
                    "127.0.0.1\tlocalhost\n"
                    "::1\tlocalhost ip6-localhost ip6-loopback\n";
  for (const auto& m : members) {
    out += m.ip.str();
    out += '\t';
    out += m.name.empty() ? m.container_id : m.name;
    for (const auto& a : m.aliases) out += " " + a;
    out += '\n';
  }
  return out;
}

static bool is_loopback_server(const std::string& s) {
  return s.rfind("127.", 0) == 0 || s == "::1" || s == "0.0.0.0";
}

std::string read_host_resolv_conf() {
  auto servers_of = [](const std::string& text) {
    std::istringstream in(text);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string key, val;
      if (ls >> key >> val && key == "nameserver" && !is_loopback_server(val)) ++n;
    }
    return n;
  };
  std::string text;
  try {
    text = read_file("/etc/resolv.conf");
  } catch (const Error&) {
  }
  if (servers_of(text) == 0) {
    try {
      std::string upstream = read_file("/run/systemd/resolve/resolv.conf");
      if (servers_of(upstream) > 0) return upstream;
    } catch (const Error&) {
    }
  }
  return text;
}

std::string render_resolv_conf(const NetworkConfig& net, const std::string& host_resolv) {
  std::string out = "# Written by skiff for network " + net.name + ".\n";
  if (!net.dns.empty()) {
    if (!net.dns_search.empty()) {
      out += "search";
      for (const auto& s : net.dns_search) out += " " + s;
      out += "\n";
    }
    for (const auto& s : net.dns) out += "nameserver " + s + "\n";
    return out;
  }
  // The host's servers, less loopback ones: 127.0.0.53 in the container is the container itself.
  std::istringstream in(host_resolv);
  std::string line;
  int servers = 0;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key, val;
    if (!(ls >> key)) continue;
    if (key == "nameserver") {
      if (!(ls >> val) || is_loopback_server(val)) continue;
      ++servers;
    } else if (key == "search" || key == "domain") {
      if (!net.dns_search.empty()) continue;
    } else if (key != "options") {
      continue;
    }
    out += line + "\n";
  }
  if (!net.dns_search.empty()) {
    out += "search";
    for (const auto& s : net.dns_search) out += " " + s;
    out += "\n";
  }
  if (servers == 0) out += "# the host names no nameserver a container can reach; give the network --dns\n";
  return out;
}

void update_bind_mounted_file(const std::string& path, const std::string& content) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd) {
    if (errno != ENOENT) throw_errno("open " + path);
    write_file_atomic(path, content, 0644, Durability::kVolatile);  // re-derived from IPAM on every change
    return;
  }
  std::string old;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) throw_errno("read " + path);
    if (n == 0) break;
    old.append(buf, static_cast<size_t>(n));
  }
  if (old == content) return;
  if (::pwrite(fd.get(), content.data(), content.size(), 0) != static_cast<ssize_t>(content.size()))
    throw_errno("write " + path);
  if (::ftruncate(fd.get(), static_cast<off_t>(content.size())) < 0) throw_errno("truncate " + path);
}

}  // namespace skiff::net
