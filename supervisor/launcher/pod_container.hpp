// A Pod's container -> the launcher's neutral description, with the kubelet's rules: command/args over
// the image's Entrypoint/Cmd with $(VAR) expanded from the container's env, the pod's and the
// container's securityContext merged (the container's wins), runAsNonRoot checked against the image's
// user, resources and the OOM score of the pod's QoS class, the sandbox's namespaces joined by path, the
// pod's /etc/hosts and /etc/resolv.conf and the volumes mounted, and the annotations that let adoption
// map a runtime container back to its pod.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "launcher/container_description.hpp"
#include "launcher/pod_env.hpp"
#include "manifest.hpp"
#include "manifest/types_pod.hpp"

namespace skiff::launcher {

// Annotation keys on every pod container (CRI's labels, as OCI annotations here).
inline constexpr const char* kPodNameAnnotation = "io.kubernetes.pod.name";
inline constexpr const char* kPodNamespaceAnnotation = "io.kubernetes.pod.namespace";
inline constexpr const char* kPodUidAnnotation = "io.kubernetes.pod.uid";
inline constexpr const char* kContainerNameAnnotation = "io.kubernetes.container.name";
inline constexpr const char* kAttemptAnnotation = "io.skiff.attempt";

struct VolumeSource {
  std::string host_path;   // the directory (or file, for a hostPath File) to bind
  bool read_only = false;  // configMap and secret volumes are always mounted read-only
};

// What the pod's sandbox provides to each of its containers.
struct PodSandboxView {
  PodRuntimeFacts facts;
  std::string netns_path, ipcns_path, utsns_path;  // nsfs bind mounts; empty: the host's (hostNetwork)
  std::string hosts_file, resolv_conf;             // bound at /etc/hosts, /etc/resolv.conf when set
  std::map<std::string, VolumeSource> volumes;     // by volume name
  std::string seccomp_root;                        // Localhost profiles are relative to it
  std::string node_hostname;                       // hostNetwork pods keep the node's
  int min_oom_score_adj = -1000;  // without CAP_SYS_RESOURCE the runtime cannot go below its own
};

struct PodContainerRef {
  const manifest::Pod& pod;
  const manifest::Container& container;
  int attempt = 0;  // this container's restart count
};

// Throws ContainerConfigError for what the kubelet reports as CreateContainerConfigError (a missing
// ConfigMap/Secret/key, runAsNonRoot vs a root image, a subPath that leaves its volume).
ContainerDescription describe_pod_container(const PodContainerRef& ref, const image::ImageConfig& image,
                                            const PodSandboxView& sandbox, const ConfigSources& sources,
                                            std::vector<std::string>* warnings);

// The pod's hostname (spec.hostname, else the pod's name; hostNetwork: the node's).
std::string pod_hostname(const manifest::Pod& pod, const std::string& node_hostname);

}  // namespace skiff::launcher
