#include "launcher/oci_config.hpp"

#include <algorithm>

#include "blob_store.hpp"
#include "bundle_builder.hpp"
#include "caps.hpp"
#include "container_rootfs.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "layer_store.hpp"
#include "puller.hpp"
#include "seccomp_default.hpp"
#include "store_gc.hpp"

namespace skiff::launcher {

namespace {

using nlohmann::json;

std::string cap_name(std::string c) {
  std::transform(c.begin(), c.end(), c.begin(), [](unsigned char ch) { return std::toupper(ch); });
  return c.rfind("CAP_", 0) == 0 ? c : "CAP_" + c;
}

// The user spec build_bundle_config resolves: runAsUser replaces the image's user (its group then comes
// from the image's /etc/passwd, or 0), runAsGroup replaces the group, as containerd's CRI does.
std::string user_spec(const image::ImageConfig& image, const ContainerDescription& d) {
  std::string user = image.user.substr(0, image.user.find(':'));
  std::string group =
      image.user.find(':') == std::string::npos ? "" : image.user.substr(image.user.find(':') + 1);
  if (d.run_as_user) {
    user = std::to_string(*d.run_as_user);
    group.clear();
  }
  if (d.run_as_group) group = std::to_string(*d.run_as_group);
  return group.empty() ? user : user + ":" + group;
}

json profile_for(const ContainerDescription& d, const std::vector<std::string>& caps) {
  if (d.seccomp == SeccompMode::runtime_default) return seccomp::default_profile(caps);
  json profile;
  try {
    profile = json::parse(read_file(d.seccomp_profile));
  } catch (const json::exception& e) {
    throw Error("seccomp profile " + d.seccomp_profile + ": not JSON (" + e.what() + ")");
  }
  try {
    return seccomp::profile_to_oci(profile, caps);
  } catch (const std::exception& e) {
    throw Error(d.seccomp_profile + ": " + e.what());
  }
}

// A privileged container: every capability, no seccomp filter, nothing masked or read-only in /proc,
// every device allowed in the device cgroup, /sys writable (containerd's privileged spec; host device
// nodes are not bind-mounted into /dev here).
void make_privileged(json& spec) {
  auto caps = known_capabilities();
  spec["process"]["capabilities"] = {
      {"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"inheritable", caps}};
  spec["process"]["noNewPrivileges"] = false;
  auto& linux = spec["linux"];
  linux.erase("seccomp");
  linux.erase("maskedPaths");
  linux.erase("readonlyPaths");
  linux["resources"]["devices"] = json::array({{{"allow", true}, {"access", "rwm"}}});
  for (auto& m : spec["mounts"]) {
    if (m.value("destination", "") != "/sys" && m.value("destination", "") != "/sys/fs/cgroup") continue;
    json opts = json::array();
    for (const auto& o : m.value("options", json::array()))
      if (o != "ro") opts.push_back(o);
    opts.push_back("rw");
    m["options"] = opts;
  }
}

void apply_resources(json& resources, const ResourceLimits& r) {
  if (r.cpu_shares) resources["cpu"]["shares"] = *r.cpu_shares;
  if (r.cpu_quota) resources["cpu"]["quota"] = *r.cpu_quota;
  if (r.cpu_period) resources["cpu"]["period"] = *r.cpu_period;
  if (r.memory_limit) resources["memory"]["limit"] = *r.memory_limit;
  if (r.pids_limit) resources["pids"]["limit"] = *r.pids_limit;
}

void apply_namespaces(json& spec, const std::vector<Namespace>& wanted,
                      const std::vector<std::string>& host) {
  json kept = json::array();
  for (const auto& ns : spec["linux"]["namespaces"]) {
    std::string type = ns.value("type", "");
    bool replaced =
        std::any_of(wanted.begin(), wanted.end(), [&](const Namespace& w) { return w.type == type; });
    bool shared = std::find(host.begin(), host.end(), type) != host.end();
    if (!replaced && !shared) kept.push_back(ns);
  }
  for (const auto& w : wanted) {
    json ns = {{"type", w.type}};
    if (!w.path.empty()) ns["path"] = w.path;
    kept.push_back(ns);
  }
  spec["linux"]["namespaces"] = kept;
}

// A mount replaces the default one at the same destination (an emptyDir at /dev/shm, say).
void apply_mounts(json& spec, const std::vector<Mount>& mounts) {
  for (const auto& m : mounts) {
    if (m.destination.empty() || m.destination[0] != '/')
      throw Error("mount destination \"" + m.destination + "\" is not absolute");
    auto& list = spec["mounts"];
    for (auto it = list.begin(); it != list.end();) {
      if (it->value("destination", "") == m.destination)
        it = list.erase(it);
      else
        ++it;
    }
    list.push_back(
        {{"destination", m.destination}, {"type", m.type}, {"source", m.source}, {"options", m.options}});
  }
}

}  // namespace

json build_oci_config(const image::ImageConfig& image, const ContainerDescription& d,
                      const std::string& rootfs, const std::string& image_ref) {
  image::RunFlags f;
  if (d.command && !d.command->empty()) f.entrypoint = *d.command;
  f.cmd = d.args;
  for (const auto& [k, v] : d.env) {
    if (k.empty()) throw Error("environment variable with an empty name");
    f.env.push_back(k + "=" + v);
  }
  f.workdir = d.working_dir;
  f.user = user_spec(image, d);
  if (f.user.empty()) f.user = "0";  // an image without a user runs as root; "" would read our own
  f.hostname = d.hostname;
  f.tty = d.tty;
  f.read_only = d.read_only_root;
  f.no_new_privileges = d.no_new_privileges && !d.privileged;
  bool add_all = false;
  for (const auto& c : d.cap_add)
    if (cap_name(c) == "CAP_ALL")
      add_all = true;
    else
      f.cap_add.push_back(c);
  f.cap_drop = d.cap_drop;
  // The seccomp profile is made below, once the capabilities are final.
  f.seccomp = "unconfined";
  f.network = "none";
  json spec = image::build_bundle_config(image, f, rootfs, image_ref, false);

  auto& user = spec["process"]["user"];
  std::vector<int64_t> gids = user.value("additionalGids", std::vector<int64_t>{});
  for (auto g : d.supplemental_groups)
    if (std::find(gids.begin(), gids.end(), g) == gids.end()) gids.push_back(g);
  if (!gids.empty()) user["additionalGids"] = gids;

  if (d.privileged) {
    make_privileged(spec);
  } else {
    if (add_all) {
      auto caps = known_capabilities();
      spec["process"]["capabilities"] = {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
    }
    if (d.seccomp != SeccompMode::unconfined)
      spec["linux"]["seccomp"] =
          profile_for(d, spec["process"]["capabilities"]["bounding"].get<std::vector<std::string>>());
  }
  apply_resources(spec["linux"]["resources"], d.resources);
  if (d.oom_score_adj) spec["process"]["oomScoreAdj"] = *d.oom_score_adj;
  if (!d.cgroups_path.empty()) spec["linux"]["cgroupsPath"] = d.cgroups_path;
  apply_namespaces(spec, d.namespaces, d.host_namespaces);
  apply_mounts(spec, d.mounts);
  for (const auto& [k, v] : d.annotations) spec["annotations"][k] = v;
  return spec;
}

PreparedBundle prepare_bundle(
    const image::StorePaths& store, const std::string& id, const std::string& image_ref,
    const std::function<ContainerDescription(const image::ImageConfig&)>& describe) {
  // The image's layers must not be pruned between the lookup and the container's record.
  auto writing = image::hold_store_for_writing(store);
  auto img = image::find_local_image(store, image_ref);
  if (!img) throw Error("image " + image_ref + " is not in the image store");
  ContainerDescription d = describe(img->config);
  image::BlobStore blobs(store);
  image::LayerStore layers(store, blobs);
  layers.unpack(img->manifest, img->config);  // a no-op when the layers are there
  auto bundle =
      image::create_container_rootfs(store, id, {img->ref, img->manifest_desc.digest, img->chain_ids});
  try {
    PreparedBundle out{bundle.id, bundle.dir, bundle.rootfs,
                       build_oci_config(img->config, d, bundle.rootfs, img->ref)};
    image::write_bundle_file(bundle.dir + "/config.json", out.config.dump(2) + "\n");
    return out;
  } catch (...) {
    image::remove_container_rootfs(store, id);
    throw;
  }
}

void remove_bundle(const image::StorePaths& store, const std::string& id) {
  image::remove_container_rootfs(store, id);
}

}  // namespace skiff::launcher
