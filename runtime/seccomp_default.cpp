#include "seccomp_default.hpp"

#include <seccomp.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cstdio>

#include "error.hpp"
#include "seccomp.hpp"

namespace skiff::seccomp {

extern const char kDefaultProfileJson[];  // generated from profiles/default-seccomp.json

namespace {

using json = nlohmann::json;

std::string native_arch_name() {
  uint32_t native = seccomp_arch_native();
  for (const auto& name : known_architectures()) {
    std::string lower = name.substr(10);
    for (auto& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    if (seccomp_arch_resolve_name(lower.c_str()) == native) return name;
  }
  return "";
}

// Kernel release as (major, minor); "4.8" style strings in minKernel compare against it.
std::pair<int, int> kernel_version() {
  struct utsname u;
  int major = 0, minor = 0;
  if (uname(&u) == 0) sscanf(u.release, "%d.%d", &major, &minor);
  return {major, minor};
}

bool contains(const json& list, const std::string& v) {
  return list.is_array() && std::find(list.begin(), list.end(), v) != list.end();
}

}  // namespace

const std::string& default_profile_data() {
  static const std::string data = kDefaultProfileJson;
  return data;
}

json default_profile(const std::vector<std::string>& caps) {
  return profile_to_oci(json::parse(default_profile_data()), caps);
}

json profile_to_oci(const json& src, const std::vector<std::string>& caps) {
  if (!src.is_object() || !src.contains("defaultAction") || !src["defaultAction"].is_string())
    throw Error("seccomp profile has no defaultAction");
  if (src.contains("syscalls") && !src["syscalls"].is_array())
    throw Error("seccomp profile: syscalls is not a list");
  std::string arch = native_arch_name();
  auto kernel = kernel_version();
  auto has_cap = [&](const std::string& c) { return std::find(caps.begin(), caps.end(), c) != caps.end(); };

  json out;
  out["defaultAction"] = src["defaultAction"];
  if (src.contains("defaultErrnoRet")) out["defaultErrnoRet"] = src["defaultErrnoRet"];
  json archs = json::array();
  // A profile without an archMap names its architectures directly (the OCI shape).
  if (!src.contains("archMap") && src.contains("architectures")) out["architectures"] = src["architectures"];
  for (const auto& m : src.value("archMap", json::array())) {
    if (m["architecture"] != arch) continue;
    archs.push_back(arch);
    for (const auto& sub : m["subArchitectures"]) archs.push_back(sub);
  }
  if (!archs.empty()) out["architectures"] = archs;
  json calls = json::array();
  for (const auto& e : src.value("syscalls", json::array())) {
    const json inc = e.value("includes", json::object());
    const json exc = e.value("excludes", json::object());
    if (inc.contains("caps") &&
        !std::all_of(inc["caps"].begin(), inc["caps"].end(), [&](const json& c) { return has_cap(c); }))
      continue;
    if (inc.contains("arches") && !contains(inc["arches"], arch)) continue;
    if (inc.contains("minKernel")) {
      int major = 0, minor = 0;
      sscanf(inc["minKernel"].get<std::string>().c_str(), "%d.%d", &major, &minor);
      if (kernel < std::pair{major, minor}) continue;
    }
    if (exc.contains("caps") &&
        std::any_of(exc["caps"].begin(), exc["caps"].end(), [&](const json& c) { return has_cap(c); }))
      continue;
    if (exc.contains("arches") && contains(exc["arches"], arch)) continue;
    if (!e.contains("action") || (!e.contains("names") && !e.contains("name")))
      throw Error("seccomp profile: a syscalls entry needs names and an action");
    json rule = {{"names", e.contains("names") ? e["names"] : json::array({e["name"]})},
                 {"action", e["action"]}};
    if (e.contains("errnoRet")) rule["errnoRet"] = e["errnoRet"];
    if (e.contains("args")) rule["args"] = e["args"];
    calls.push_back(std::move(rule));
  }
  out["syscalls"] = std::move(calls);
  return out;
}

}  // namespace skiff::seccomp
