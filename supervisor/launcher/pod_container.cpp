#include "launcher/pod_container.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <filesystem>

#include "exec_probe.hpp"
#include "launcher/pod_resources.hpp"

namespace skiff::launcher {

namespace {

using manifest::Container;
using manifest::Pod;

std::string format_pod(const Pod& pod) {
  return pod.metadata.name + "_" + pod.metadata.namespace_ + "(" + pod.metadata.uid + ")";
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() < 11 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// verifyRunAsNonRoot: with runAsNonRoot, a runAsUser of 0, an image user of 0 (or none: root) or a
// user name that cannot be checked without the image's files is refused.
void verify_run_as_non_root(const Pod& pod, const Container& c, std::optional<bool> non_root,
                            std::optional<int64_t> run_as_user, const image::ImageConfig& image) {
  if (!non_root.value_or(false)) return;
  if (run_as_user) {
    if (*run_as_user == 0)
      throw ContainerConfigError("container's runAsUser breaks non-root policy (pod: \"" + format_pod(pod) +
                                 "\", container: " + c.name + ")");
    return;
  }
  std::string user = image.user.substr(0, image.user.find(':'));
  if (user.empty() || (all_digits(user) && std::stoul(user) == 0))
    throw ContainerConfigError("container has runAsNonRoot and image will run as root (pod: \"" +
                               format_pod(pod) + "\", container: " + c.name + ")");
  if (!all_digits(user))
    throw ContainerConfigError("container has runAsNonRoot and image has non-numeric user (" + user +
                               "), cannot verify user is non-root (pod: \"" + format_pod(pod) +
                               "\", container: " + c.name + ")");
}

void apply_seccomp(ContainerDescription& d, const std::optional<manifest::SeccompProfile>& p,
                   const std::string& seccomp_root) {
  if (!p || p->type == "RuntimeDefault") {
    d.seccomp = SeccompMode::runtime_default;  // the runtime's default also when none is given
  } else if (p->type == "Unconfined") {
    d.seccomp = SeccompMode::unconfined;
  } else if (p->type == "Localhost") {
    std::string rel = p->localhost_profile.value_or("");
    if (rel.empty() || rel[0] == '/' || rel.find("..") != std::string::npos)
      throw ContainerConfigError("localhostProfile \"" + rel + "\" must be a path relative to " +
                                 seccomp_root);
    d.seccomp = SeccompMode::profile_file;
    d.seccomp_profile = seccomp_root + "/" + rel;
  } else {
    throw ContainerConfigError("seccompProfile type \"" + p->type + "\" is not supported");
  }
}

std::string propagation_option(const std::optional<std::string>& mode) {
  if (mode == "HostToContainer") return "rslave";
  if (mode == "Bidirectional") return "rshared";
  return "rprivate";
}

// subPath inside a volume: created when missing (with the volume's mode, as the kubelet does, so that
// an fsGroup can write to it), refused when a symlink leads it outside the volume.
std::string sub_path_source(const std::string& volume, const manifest::VolumeMount& m, const Container& c) {
  std::filesystem::path root = volume;
  std::filesystem::path target = root / m.sub_path;
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(target, ec))) {
    struct stat st {};
    mode_t mode = ::stat(volume.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0755;
    std::filesystem::create_directories(target, ec);
    if (ec)
      throw ContainerConfigError("failed to create subPath directory for volumeMount \"" + m.name +
                                 "\" of container \"" + c.name + "\": " + ec.message());
    ::chmod(target.c_str(), mode);
  }
  auto real_root = std::filesystem::weakly_canonical(root, ec);
  auto real = std::filesystem::weakly_canonical(target, ec);
  auto rel = real.lexically_relative(real_root);
  if (ec || rel.empty() || *rel.begin() == "..")
    throw ContainerConfigError("subPath \"" + m.sub_path + "\" of volumeMount \"" + m.name +
                               "\" of container \"" + c.name + "\" leaves its volume");
  return real.string();
}

}  // namespace

std::string pod_hostname(const Pod& pod, const std::string& node_hostname) {
  if (pod.spec.host_network) return node_hostname;
  std::string h = pod.spec.hostname.empty() ? pod.metadata.name : pod.spec.hostname;
  if (h.size() > 63) {
    h.resize(63);
    while (!h.empty() && (h.back() == '-' || h.back() == '.')) h.pop_back();
  }
  return h;
}

ContainerDescription describe_pod_container(const PodContainerRef& ref, const image::ImageConfig& image,
                                            const PodSandboxView& sandbox, const ConfigSources& sources,
                                            std::vector<std::string>* warnings) {
  const Pod& pod = ref.pod;
  const Container& c = ref.container;
  ContainerDescription d;

  d.env = resolve_container_env(pod, c, sandbox.facts, sources, warnings);
  // ExpandContainerCommandAndArgs: $(VAR) in command and args from the container's final env.
  if (!c.command.empty()) d.command = probes::expand_command(c.command, d.env);
  d.args = probes::expand_command(c.args, d.env);
  d.working_dir = c.working_dir;
  d.tty = c.tty;

  // The pod's security context, then the container's over it (DetermineEffectiveSecurityContext).
  const auto& psc = pod.spec.security_context;
  const auto& sc = c.security_context;
  std::optional<bool> non_root;
  std::optional<manifest::SeccompProfile> seccomp;
  if (psc) {
    d.run_as_user = psc->run_as_user;
    d.run_as_group = psc->run_as_group;
    non_root = psc->run_as_non_root;
    seccomp = psc->seccomp_profile;
    d.supplemental_groups = psc->supplemental_groups;
    if (psc->fs_group) d.supplemental_groups.push_back(*psc->fs_group);
  }
  if (sc) {
    if (sc->run_as_user) d.run_as_user = sc->run_as_user;
    if (sc->run_as_group) d.run_as_group = sc->run_as_group;
    if (sc->run_as_non_root) non_root = sc->run_as_non_root;
    if (sc->seccomp_profile) seccomp = sc->seccomp_profile;
    d.privileged = sc->privileged.value_or(false);
    d.read_only_root = sc->read_only_root_filesystem.value_or(false);
    // AddNoNewPrivileges: only an explicit allowPrivilegeEscalation: false, never when privileged.
    d.no_new_privileges = !d.privileged && sc->allow_privilege_escalation == false;
    if (sc->capabilities) {
      d.cap_add = sc->capabilities->add;
      d.cap_drop = sc->capabilities->drop;
    }
  }
  verify_run_as_non_root(pod, c, non_root, d.run_as_user, image);
  if (!d.privileged) apply_seccomp(d, seccomp, sandbox.seccomp_root);

  d.resources = container_resources(c);
  d.oom_score_adj =
      std::max(container_oom_score_adj(pod, c, sandbox.facts.node_memory_bytes), sandbox.min_oom_score_adj);

  d.hostname = pod_hostname(pod, sandbox.node_hostname);
  if (pod.spec.host_network) {
    d.host_namespaces.push_back("network");
    d.host_namespaces.push_back("uts");
  } else {
    if (!sandbox.netns_path.empty()) d.namespaces.push_back({"network", sandbox.netns_path});
    if (!sandbox.utsns_path.empty()) d.namespaces.push_back({"uts", sandbox.utsns_path});
  }
  if (pod.spec.host_ipc)
    d.host_namespaces.push_back("ipc");
  else if (!sandbox.ipcns_path.empty())
    d.namespaces.push_back({"ipc", sandbox.ipcns_path});
  if (pod.spec.host_pid) d.host_namespaces.push_back("pid");

  if (!sandbox.hosts_file.empty())
    d.mounts.push_back({"/etc/hosts", "bind", sandbox.hosts_file, {"rbind", "rprivate"}});
  if (!sandbox.resolv_conf.empty()) {
    Mount m{"/etc/resolv.conf", "bind", sandbox.resolv_conf, {"rbind", "rprivate"}};
    if (d.read_only_root) m.options.push_back("ro");
    d.mounts.push_back(m);
  }
  for (const auto& vm : c.volume_mounts) {
    auto it = sandbox.volumes.find(vm.name);
    if (it == sandbox.volumes.end())
      throw ContainerConfigError("cannot find volume \"" + vm.name + "\" to mount into container \"" +
                                 c.name + "\"");
    std::string source = it->second.host_path;
    if (!vm.sub_path.empty()) source = sub_path_source(source, vm, c);
    Mount m{vm.mount_path, "bind", source, {"rbind", propagation_option(vm.mount_propagation)}};
    if (vm.read_only || it->second.read_only) m.options.push_back("ro");
    d.mounts.push_back(m);
  }

  d.annotations[kPodNameAnnotation] = pod.metadata.name;
  d.annotations[kPodNamespaceAnnotation] = pod.metadata.namespace_;
  d.annotations[kPodUidAnnotation] = pod.metadata.uid;
  d.annotations[kContainerNameAnnotation] = c.name;
  d.annotations[kAttemptAnnotation] = std::to_string(ref.attempt);
  return d;
}

}  // namespace skiff::launcher
