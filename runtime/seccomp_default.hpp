// The default seccomp profile (runtime/profiles/default-seccomp.json, the Docker/containerd default
// allow list), shipped as data: embedded in the binary at build time and installed to
// share/skiff/default-seccomp.json. `skiff-runtime spec` does not use it (runc's output has no
// seccomp); `skiff run` puts default_profile(...) into the config it generates.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace skiff::seccomp {

// The profile file as shipped (its own format: includes/excludes by capability, arch and kernel).
const std::string& default_profile_data();

// The OCI linux.seccomp section for a container whose bounding set is `caps`, on this machine's
// architecture and kernel: entries gated on capabilities the container lacks (or has, for excludes)
// are left out, as Docker and containerd do.
nlohmann::json default_profile(const std::vector<std::string>& caps);

// The same conversion for any profile in that format (`skiff run --security-opt seccomp=FILE`); a
// profile already in the OCI shape (architectures, no includes/excludes) passes through. Throws Error
// if it has no defaultAction.
nlohmann::json profile_to_oci(const nlohmann::json& profile, const std::vector<std::string>& caps);

}  // namespace skiff::seccomp
