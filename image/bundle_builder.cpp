#include "bundle_builder.hpp"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "container_rootfs.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "seccomp_default.hpp"
#include "spec.hpp"

namespace skiff::image {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() < 11 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string upper_cap(std::string c) {
  std::transform(c.begin(), c.end(), c.begin(), [](unsigned char ch) { return std::toupper(ch); });
  return c.rfind("CAP_", 0) == 0 ? c : "CAP_" + c;
}

void set_env(std::vector<std::string>& env, const std::string& kv) {
  std::string key = kv.substr(0, kv.find('='));
  for (auto& e : env)
    if (e.substr(0, e.find('=')) == key) {
      e = kv;
      return;
    }
  env.push_back(kv);
}

}  // namespace

std::vector<std::string> docker_default_caps() {
  return {"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
          "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
          "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
          "CAP_KILL",    "CAP_AUDIT_WRITE"};
}

ResolvedUser resolve_user(const std::string& spec, const std::string& passwd, const std::string& group) {
  ResolvedUser u;
  std::string user = spec.substr(0, spec.find(':'));
  std::string grp = spec.find(':') == std::string::npos ? "" : spec.substr(spec.find(':') + 1);
  std::string username;
  bool found = false;
  std::istringstream pw(passwd);
  for (std::string line; std::getline(pw, line);) {
    auto f = split(line, ':');
    if (f.size() < 7 || !all_digits(f[2]) || !all_digits(f[3])) continue;
    if (f[0] == user || (all_digits(user) && f[2] == user)) {
      u.uid = static_cast<uint32_t>(std::stoul(f[2]));
      u.gid = static_cast<uint32_t>(std::stoul(f[3]));
      u.home = f[5];
      username = f[0];
      found = true;
      break;
    }
  }
  if (!found) {
    if (user.empty()) {
      u.uid = 0;
    } else if (all_digits(user)) {
      u.uid = static_cast<uint32_t>(std::stoul(user));  // a uid the image does not list: group 0, as Docker
    } else {
      throw Error("unable to find user " + user + ": no matching entries in the image's /etc/passwd");
    }
    u.home = "/";
  }
  std::istringstream gr(group);
  bool group_found = grp.empty();
  for (std::string line; std::getline(gr, line);) {
    auto f = split(line, ':');
    if (f.size() < 4 || !all_digits(f[2])) continue;
    auto gid = static_cast<uint32_t>(std::stoul(f[2]));
    if (!grp.empty() && (f[0] == grp || f[2] == grp)) {
      u.gid = gid;
      group_found = true;
    }
    if (!username.empty() && grp.empty()) {
      for (const auto& m : split(f[3], ','))
        if (m == username && gid != u.gid) u.additional_gids.push_back(gid);
    }
  }
  if (!group_found) {
    if (!all_digits(grp))
      throw Error("unable to find group " + grp + ": no matching entries in the image's /etc/group");
    u.gid = static_cast<uint32_t>(std::stoul(grp));
  }
  return u;
}

nlohmann::json build_bundle_config(const ImageConfig& image, const RunFlags& flags, const std::string& rootfs,
                                   const std::string& image_ref, bool rootless) {
  nlohmann::json spec = skiff::spec::default_spec(rootless);
  auto& proc = spec["process"];

  std::vector<std::string> args = flags.entrypoint ? *flags.entrypoint : image.entrypoint;
  if (flags.entrypoint && args.size() == 1 && args[0].empty()) args.clear();
  // Docker: an --entrypoint drops the image's Cmd; CMD arguments replace it.
  const auto& cmd =
      !flags.cmd.empty() ? flags.cmd : (flags.entrypoint ? std::vector<std::string>{} : image.cmd);
  args.insert(args.end(), cmd.begin(), cmd.end());
  if (args.empty()) throw Error("image " + image_ref + " has no command: give one after the image name");
  proc["args"] = args;

  std::vector<std::string> env;
  set_env(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (const auto& e : image.env) set_env(env, e);
  std::string hostname = flags.hostname.empty() ? "skiff" : flags.hostname;
  set_env(env, "HOSTNAME=" + hostname);
  if (flags.tty) set_env(env, "TERM=xterm");
  std::vector<std::string> user_env;
  for (const auto& f : flags.env_files) {
    auto from_file = read_env_file(f);
    user_env.insert(user_env.end(), from_file.begin(), from_file.end());
  }
  user_env.insert(user_env.end(), flags.env.begin(), flags.env.end());
  for (const auto& e : user_env) {
    if (e.empty() || e[0] == '=') throw Error("invalid environment variable \"" + e + "\"");
    if (e.find('=') == std::string::npos) {
      const char* v = std::getenv(e.c_str());
      if (v) set_env(env, e + "=" + v);  // -e NAME passes ours through; unset means left out
    } else {
      set_env(env, e);
    }
  }

  std::string user = !flags.user.empty() ? flags.user : image.user;
  ResolvedUser u =
      resolve_user(user, read_file_in_root(rootfs, "/etc/passwd"), read_file_in_root(rootfs, "/etc/group"));
  bool has_home =
      std::any_of(env.begin(), env.end(), [](const std::string& e) { return e.rfind("HOME=", 0) == 0; });
  if (!has_home) env.push_back("HOME=" + (u.home.empty() ? std::string("/") : u.home));
  proc["env"] = env;
  proc["user"] = {{"uid", u.uid}, {"gid", u.gid}};
  if (!u.additional_gids.empty()) proc["user"]["additionalGids"] = u.additional_gids;
  std::string cwd = !flags.workdir.empty() ? flags.workdir : image.working_dir;
  if (cwd.empty()) cwd = "/";
  if (cwd[0] != '/') throw Error("working directory \"" + cwd + "\" is not absolute");
  proc["cwd"] = cwd;
  proc["terminal"] = flags.tty;
  if (!flags.tty) proc.erase("consoleSize");
  proc["noNewPrivileges"] = flags.no_new_privileges;

  // Docker's default capability set, then --cap-add / --cap-drop ("ALL" as Docker).
  std::vector<std::string> caps = docker_default_caps();
  for (const auto& c : flags.cap_drop) {
    if (upper_cap(c) == "CAP_ALL") caps.clear();
    caps.erase(std::remove(caps.begin(), caps.end(), upper_cap(c)), caps.end());
  }
  for (const auto& c : flags.cap_add) {
    if (upper_cap(c) == "CAP_ALL") throw Error("--cap-add ALL is not supported; name the capabilities");
    if (std::find(caps.begin(), caps.end(), upper_cap(c)) == caps.end()) caps.push_back(upper_cap(c));
  }
  proc["capabilities"] = {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};

  // Docker's default seccomp profile, filtered for the container's capabilities, unless told otherwise.
  if (flags.seccomp.empty()) {
    spec["linux"]["seccomp"] = skiff::seccomp::default_profile(caps);
  } else if (flags.seccomp != "unconfined") {
    nlohmann::json profile;
    try {
      profile = nlohmann::json::parse(read_file(flags.seccomp));
    } catch (const nlohmann::json::exception& e) {
      throw Error("seccomp profile " + flags.seccomp + ": not JSON (" + e.what() + ")");
    }
    try {
      spec["linux"]["seccomp"] = skiff::seccomp::profile_to_oci(profile, caps);
    } catch (const std::exception& e) {
      throw Error(flags.seccomp + ": " + e.what());
    }
  }
  // Merged: the default spec's resources already hold the device rules.
  nlohmann::json resources = resources_from_flags(flags.resources);
  for (auto it = resources.begin(); it != resources.end(); ++it) spec["linux"]["resources"][it.key()] = *it;

  spec["root"] = {{"path", "rootfs"}, {"readonly", flags.read_only}};
  spec["hostname"] = hostname;

  for (const auto& v : flags.volumes) {
    auto parts = split(v, ':');
    if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty() || parts[0][0] != '/' ||
        parts[1][0] != '/' || (parts.size() == 3 && parts[2] != "ro" && parts[2] != "rw"))
      throw Error("invalid volume \"" + v + "\": expected /HOST:/CONTAINER[:ro|rw]");
    nlohmann::json opts = nlohmann::json::array({"rbind", "rprivate"});
    if (parts.size() == 3 && parts[2] == "ro") opts.push_back("ro");
    spec["mounts"].push_back(
        {{"destination", parts[1]}, {"type", "bind"}, {"source", parts[0]}, {"options", opts}});
  }
  for (const auto& t : flags.tmpfs) {
    if (t.empty() || t[0] != '/') throw Error("invalid --tmpfs \"" + t + "\": expected an absolute path");
    spec["mounts"].push_back({{"destination", t},
                              {"type", "tmpfs"},
                              {"source", "tmpfs"},
                              {"options", {"nosuid", "nodev", "mode=1777"}}});
  }

  auto& nss = spec["linux"]["namespaces"];
  if (rootless) {
    // Rootless `skiff run` runs in a user namespace of its own that maps the caller's subordinate ids
    // (so an image's users exist); the container shares it rather than getting a one-id namespace.
    nlohmann::json kept = nlohmann::json::array();
    for (const auto& ns : nss)
      if (ns.value("type", "") != "user") kept.push_back(ns);
    nss = kept;
    spec["linux"].erase("uidMappings");
    spec["linux"].erase("gidMappings");
    // That namespace owns a network namespace it makes: --network none gets one, as with root.
    if (flags.network == "none") nss.push_back({{"type", "network"}});
  }
  if (flags.network == "host") {
    nlohmann::json kept = nlohmann::json::array();
    for (const auto& ns : nss)
      if (ns.value("type", "") != "network") kept.push_back(ns);
    nss = kept;
  } else if (flags.network != "none") {
    throw Error("--network " + flags.network + ": only none and host are supported");
  }

  auto& ann = spec["annotations"];
  ann["org.opencontainers.image.ref.name"] = image_ref;
  if (!image.stop_signal.empty()) ann["skiff.image.stopSignal"] = image.stop_signal;
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
  };
  if (!image.exposed_ports.empty()) ann["skiff.image.exposedPorts"] = join(image.exposed_ports);
  if (!image.volumes.empty()) ann["skiff.image.volumes"] = join(image.volumes);
  return spec;
}

}  // namespace skiff::image
