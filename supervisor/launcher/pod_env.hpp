// A Pod container's environment as the kubelet makes it (makeEnvironmentVariables): envFrom sources in
// order (ConfigMap data or Secret data, each key with the source's prefix; keys that are not valid
// variable names skipped with a warning), then env in order, each value's $(VAR) expanded from what is
// defined before it, valueFrom resolved (configMapKeyRef, secretKeyRef, fieldRef, resourceFieldRef).
// A missing ConfigMap, Secret or key that is not optional is a ContainerConfigError (the kubelet's
// CreateContainerConfigError), worded as the kubelet's; the agent retries when the object changes.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "error.hpp"
#include "manifest/types_kinds.hpp"
#include "manifest/types_pod.hpp"

namespace skiff::launcher {

// The kubelet's CreateContainerConfigError: the container cannot be made from its spec as things are
// (a missing ConfigMap key, runAsNonRoot against a root image); what() is the status message.
class ContainerConfigError : public Error {
 public:
  using Error::Error;
};

// Where ConfigMaps and Secrets come from (the store, a cache, a test's map). nullopt: not found.
struct ConfigSources {
  std::function<std::optional<manifest::ConfigMap>(const std::string& ns, const std::string& name)>
      config_map;
  std::function<std::optional<manifest::Secret>(const std::string& ns, const std::string& name)> secret;
};

// What fieldRef and resourceFieldRef read beyond the pod object.
struct PodRuntimeFacts {
  std::string pod_ip, host_ip, node_name;
  int64_t node_cpu_milli = 0;     // allocatable CPU: a limit that is not set reads as this
  int64_t node_memory_bytes = 0;  // allocatable memory, likewise
};

using EnvList = std::vector<std::pair<std::string, std::string>>;

EnvList resolve_container_env(const manifest::Pod& pod, const manifest::Container& c,
                              const PodRuntimeFacts& facts, const ConfigSources& sources,
                              std::vector<std::string>* warnings);

// fieldRef: metadata.name, metadata.namespace, metadata.uid, metadata.labels['k'],
// metadata.annotations['k'], spec.nodeName, spec.serviceAccountName, status.hostIP(s), status.podIP(s).
std::string pod_field_value(const manifest::Pod& pod, const std::string& field_path,
                            const PodRuntimeFacts& facts);

// resourceFieldRef: limits/requests of cpu, memory or ephemeral-storage over the divisor, rounded up.
std::string container_resource_value(const manifest::Pod& pod, const manifest::Container& self,
                                     const manifest::ResourceFieldSelector& ref,
                                     const PodRuntimeFacts& facts);

}  // namespace skiff::launcher
