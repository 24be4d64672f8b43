// A neutral container description + an image -> the bundle's config.json and its rootfs. The process
// (Entrypoint/Cmd, Env, WorkingDir, User against the image's /etc/passwd and /etc/group) comes from
// image::build_bundle_config, as `skiff run` makes it; what a description says beyond `skiff run`'s
// flags (namespaces joined by path, supplemental groups, privileged, resources, oomScoreAdj, mounts with
// their options, annotations) is applied on top.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "launcher/container_description.hpp"
#include "manifest.hpp"
#include "store_paths.hpp"

namespace skiff::launcher {

// The config.json of a container whose rootfs is mounted at `rootfs` (read for /etc/passwd and
// /etc/group). Throws skiff::Error naming what is wrong (an unknown user, a relative working directory,
// an unreadable seccomp profile, a relative mount destination).
nlohmann::json build_oci_config(const image::ImageConfig& image, const ContainerDescription& d,
                                const std::string& rootfs, const std::string& image_ref);

struct PreparedBundle {
  std::string id;      // the container (and bundle) id
  std::string dir;     // bundle directory, config.json inside
  std::string rootfs;  // dir + "/rootfs"
  nlohmann::json config;
};

// Makes the bundle of container `id` from an image that is in the store (image::find_local_image's
// reference): the rootfs (image::create_container_rootfs: an overlay of its layers) and config.json.
// Throws skiff::Error, leaving nothing behind, if the image is not in the store or the config cannot be
// built. `describe` makes the description from the image's config (a Pod's runAsNonRoot is checked
// against the image's user); what it throws propagates, before anything is created.
PreparedBundle prepare_bundle(const image::StorePaths& store, const std::string& id,
                              const std::string& image_ref,
                              const std::function<ContainerDescription(const image::ImageConfig&)>& describe);

// Unmounts and removes the bundle of `id` (missing is fine).
void remove_bundle(const image::StorePaths& store, const std::string& id);

}  // namespace skiff::launcher
