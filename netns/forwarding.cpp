#include "forwarding.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "file_util.hpp"
#include "sysctl.hpp"

namespace skiff::net {

ForwardingState::ForwardingState(std::string path) : path_(std::move(path)) {
  try {
    auto j = nlohmann::json::parse(read_file(path_));
    enabled_ = j.value("enabled_uplinks", std::vector<std::string>{});
  } catch (const Error& e) {
    if (e.err() != ENOENT) throw;
  } catch (const nlohmann::json::exception& e) {
    throw Error("corrupt " + path_ + ": " + e.what());
  }
}

void ForwardingState::save() const {
  // Volatile: the sysctls it records are reset by a reboot too.
  write_file_atomic(path_, nlohmann::json{{"enabled_uplinks", enabled_}}.dump() + "\n", 0644,
                    Durability::kVolatile);
}

void ForwardingState::activate(const NlSocket& host) {
  bool changed = false;
  for (const auto& [ifindex, dst] : host.routes()) {
    if (dst.prefix != 0 || ifindex == 0) continue;  // default routes only
    auto l = host.link(ifindex);
    if (!l) continue;
    if (std::find(enabled_.begin(), enabled_.end(), l->name) != enabled_.end()) continue;
    if (read_if_sysctl(l->name, "forwarding").value_or("1") != "0") continue;  // the admin's choice
    // Record first: a crash after the write still leaves the record that lets us undo it.
    enabled_.push_back(l->name);
    save();
    write_if_sysctl(l->name, "forwarding", "1");
    changed = true;
  }
  (void)changed;
}

void ForwardingState::deactivate(const NlSocket& host) {
  if (enabled_.empty()) return;
  for (const auto& name : enabled_)
    if (host.link(name)) write_if_sysctl(name, "forwarding", "0");
  enabled_.clear();
  save();
}

void enable_bridge_forwarding(const std::string& bridge) {
  if (read_if_sysctl(bridge, "forwarding").value_or("0") != "1") write_if_sysctl(bridge, "forwarding", "1");
}

}  // namespace skiff::net
