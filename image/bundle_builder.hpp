// A container's config.json: runtime's default spec, with the process taken from the image config
// (Entrypoint, Cmd, Env, WorkingDir, User resolved with the image's /etc/passwd and /etc/group) and the
// user's `skiff run` flags on top, as Docker combines them. StopSignal, ExposedPorts and Volumes are
// recorded as annotations (nothing here acts on them yet).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifest.hpp"
#include "run_flag_values.hpp"

namespace skiff::image {

struct RunFlags {
  std::vector<std::string> cmd;                        // replaces the image's Cmd when not empty
  std::optional<std::vector<std::string>> entrypoint;  // --entrypoint ("" clears it)
  std::vector<std::string> env;                        // -e KEY=VALUE or KEY (taken from our environment)
  std::string workdir;                                 // -w
  std::string user;                                    // -u name|uid[:group|gid]
  std::string hostname;
  bool tty = false;
  bool read_only = false;
  std::string network = "none";      // none | host
  std::vector<std::string> volumes;  // -v HOST:CTR[:ro]
  std::vector<std::string> tmpfs;    // --tmpfs CTR
  std::vector<std::string> cap_add, cap_drop;
  bool no_new_privileges = false;
  std::vector<std::string> env_files;  // --env-file, applied before -e
  // --security-opt seccomp=: "" for the default profile, "unconfined" for none, else a profile file
  // (Docker's format or OCI's).
  std::string seccomp;
  ResourceFlags resources;  // --memory, --cpus, --pids-limit
};

// Docker's default capability set for containers.
std::vector<std::string> docker_default_caps();

struct ResolvedUser {
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;
  std::string home;
};
// Resolves a user spec against passwd/group file contents. Throws Error naming the user if a name is
// not found.
ResolvedUser resolve_user(const std::string& spec, const std::string& passwd, const std::string& group);

// Builds the config.json for a container whose rootfs is mounted at `rootfs` (read for /etc/passwd).
// `rootless`: the runtime's rootless defaults, for a container that shares the user namespace the
// caller runs in (rootless `skiff run` makes one mapping its subordinate ids) instead of getting its own.
nlohmann::json build_bundle_config(const ImageConfig& image, const RunFlags& flags, const std::string& rootfs,
                                   const std::string& image_ref, bool rootless);

}  // namespace skiff::image
