// core/v1 Pod, PodSpec, Container, volumes and PodStatus, with Kubernetes' field names. Optional fields
// are std::optional where Kubernetes has a pointer (an explicit zero differs from unset).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "manifest/codec_fwd.hpp"
#include "manifest/int_or_string.hpp"
#include "manifest/quantity.hpp"
#include "manifest/types_meta.hpp"

namespace skiff::manifest {

using ResourceList = std::map<std::string, Quantity>;

struct LocalObjectReference {
  std::string name;
  friend bool operator==(const LocalObjectReference&, const LocalObjectReference&) = default;
};
struct ObjectFieldSelector {
  std::string api_version, field_path;
  friend bool operator==(const ObjectFieldSelector&, const ObjectFieldSelector&) = default;
};
struct ResourceFieldSelector {
  std::string container_name, resource;
  Quantity divisor;
  friend bool operator==(const ResourceFieldSelector&, const ResourceFieldSelector&) = default;
};
struct KeySelector {  // ConfigMapKeySelector and SecretKeySelector
  std::string name, key;
  std::optional<bool> optional;
  friend bool operator==(const KeySelector&, const KeySelector&) = default;
};
struct EnvVarSource {
  std::optional<ObjectFieldSelector> field_ref;
  std::optional<ResourceFieldSelector> resource_field_ref;
  std::optional<KeySelector> config_map_key_ref, secret_key_ref;
  friend bool operator==(const EnvVarSource&, const EnvVarSource&) = default;
};
struct EnvVar {
  std::string name, value;
  std::optional<EnvVarSource> value_from;
  friend bool operator==(const EnvVar&, const EnvVar&) = default;
};
struct EnvSourceRef {  // ConfigMapEnvSource and SecretEnvSource
  std::string name;
  std::optional<bool> optional;
  friend bool operator==(const EnvSourceRef&, const EnvSourceRef&) = default;
};
struct EnvFromSource {
  std::string prefix;
  std::optional<EnvSourceRef> config_map_ref, secret_ref;
  friend bool operator==(const EnvFromSource&, const EnvFromSource&) = default;
};
struct ContainerPort {
  std::string name;
  int32_t host_port = 0, container_port = 0;
  std::string protocol, host_ip;
  friend bool operator==(const ContainerPort&, const ContainerPort&) = default;
};
struct ResourceRequirements {
  ResourceList limits, requests;
  friend bool operator==(const ResourceRequirements&, const ResourceRequirements&) = default;
};
struct VolumeMount {
  std::string name;
  bool read_only = false;
  std::string mount_path, sub_path, sub_path_expr;
  std::optional<std::string> mount_propagation;
  friend bool operator==(const VolumeMount&, const VolumeMount&) = default;
};
struct Capabilities {
  std::vector<std::string> add, drop;
  friend bool operator==(const Capabilities&, const Capabilities&) = default;
};
struct SeccompProfile {
  std::string type;
  std::optional<std::string> localhost_profile;
  friend bool operator==(const SeccompProfile&, const SeccompProfile&) = default;
};
struct SecurityContext {
  std::optional<Capabilities> capabilities;
  std::optional<bool> privileged;
  std::optional<int64_t> run_as_user, run_as_group;
  std::optional<bool> run_as_non_root, read_only_root_filesystem, allow_privilege_escalation;
  std::optional<SeccompProfile> seccomp_profile;
  IgnoredFields ignored;
  friend bool operator==(const SecurityContext&, const SecurityContext&) = default;
};
struct Sysctl {
  std::string name, value;
  friend bool operator==(const Sysctl&, const Sysctl&) = default;
};
struct PodSecurityContext {
  std::optional<int64_t> run_as_user, run_as_group;
  std::optional<bool> run_as_non_root;
  std::vector<int64_t> supplemental_groups;
  std::optional<int64_t> fs_group;
  std::vector<Sysctl> sysctls;
  std::optional<std::string> fs_group_change_policy;
  std::optional<SeccompProfile> seccomp_profile;
  IgnoredFields ignored;
  friend bool operator==(const PodSecurityContext&, const PodSecurityContext&) = default;
};

struct Container {
  std::string name, image;
  std::vector<std::string> command, args;
  std::string working_dir;
  std::vector<ContainerPort> ports;
  std::vector<EnvFromSource> env_from;
  std::vector<EnvVar> env;
  ResourceRequirements resources;
  std::vector<VolumeMount> volume_mounts;
  // Probe and lifecycle handler specs, kept as written until the probes library reads them.
  std::optional<nlohmann::json> liveness_probe, readiness_probe, startup_probe, lifecycle;
  std::string termination_message_path, termination_message_policy, image_pull_policy;
  std::optional<SecurityContext> security_context;
  bool stdin = false, stdin_once = false, tty = false;
  IgnoredFields ignored;
  friend bool operator==(const Container&, const Container&) = default;
};

struct KeyToPath {
  std::string key, path;
  std::optional<int32_t> mode;
  friend bool operator==(const KeyToPath&, const KeyToPath&) = default;
};
struct EmptyDirVolumeSource {
  std::string medium;
  std::optional<Quantity> size_limit;
  friend bool operator==(const EmptyDirVolumeSource&, const EmptyDirVolumeSource&) = default;
};
struct HostPathVolumeSource {
  std::string path;
  std::optional<std::string> type;
  friend bool operator==(const HostPathVolumeSource&, const HostPathVolumeSource&) = default;
};
struct ConfigMapVolumeSource {
  std::string name;
  std::vector<KeyToPath> items;
  std::optional<int32_t> default_mode;
  std::optional<bool> optional;
  friend bool operator==(const ConfigMapVolumeSource&, const ConfigMapVolumeSource&) = default;
};
struct SecretVolumeSource {
  std::string secret_name;
  std::vector<KeyToPath> items;
  std::optional<int32_t> default_mode;
  std::optional<bool> optional;
  friend bool operator==(const SecretVolumeSource&, const SecretVolumeSource&) = default;
};
struct DownwardAPIVolumeFile {
  std::string path;
  std::optional<ObjectFieldSelector> field_ref;
  std::optional<ResourceFieldSelector> resource_field_ref;
  std::optional<int32_t> mode;
  friend bool operator==(const DownwardAPIVolumeFile&, const DownwardAPIVolumeFile&) = default;
};
struct DownwardAPIVolumeSource {
  std::vector<DownwardAPIVolumeFile> items;
  std::optional<int32_t> default_mode;
  friend bool operator==(const DownwardAPIVolumeSource&, const DownwardAPIVolumeSource&) = default;
};
struct ProjectionSource {  // ConfigMapProjection and SecretProjection
  std::string name;
  std::vector<KeyToPath> items;
  std::optional<bool> optional;
  friend bool operator==(const ProjectionSource&, const ProjectionSource&) = default;
};
struct DownwardAPIProjection {
  std::vector<DownwardAPIVolumeFile> items;
  friend bool operator==(const DownwardAPIProjection&, const DownwardAPIProjection&) = default;
};
struct VolumeProjection {
  std::optional<ProjectionSource> secret, config_map;
  std::optional<DownwardAPIProjection> downward_api;
  friend bool operator==(const VolumeProjection&, const VolumeProjection&) = default;
};
struct ProjectedVolumeSource {
  std::vector<VolumeProjection> sources;
  std::optional<int32_t> default_mode;
  friend bool operator==(const ProjectedVolumeSource&, const ProjectedVolumeSource&) = default;
};
struct Volume {
  std::string name;
  std::optional<HostPathVolumeSource> host_path;
  std::optional<EmptyDirVolumeSource> empty_dir;
  std::optional<SecretVolumeSource> secret;
  std::optional<ConfigMapVolumeSource> config_map;
  std::optional<DownwardAPIVolumeSource> downward_api;
  std::optional<ProjectedVolumeSource> projected;
  friend bool operator==(const Volume&, const Volume&) = default;
};

struct HostAlias {
  std::string ip;
  std::vector<std::string> hostnames;
  friend bool operator==(const HostAlias&, const HostAlias&) = default;
};
struct PodDNSConfigOption {
  std::string name;
  std::optional<std::string> value;
  friend bool operator==(const PodDNSConfigOption&, const PodDNSConfigOption&) = default;
};
struct PodDNSConfig {
  std::vector<std::string> nameservers, searches;
  std::vector<PodDNSConfigOption> options;
  friend bool operator==(const PodDNSConfig&, const PodDNSConfig&) = default;
};

struct PodSpec {
  std::vector<Volume> volumes;
  std::vector<Container> init_containers, containers;
  std::string restart_policy;
  std::optional<int64_t> termination_grace_period_seconds, active_deadline_seconds;
  std::string dns_policy;
  LabelMap node_selector;
  std::string node_name;  // this node's name once the pod is bound to it
  bool host_network = false, host_pid = false, host_ipc = false;
  std::optional<bool> share_process_namespace;
  std::optional<PodSecurityContext> security_context;
  std::vector<LocalObjectReference> image_pull_secrets;
  std::string hostname, subdomain;
  std::vector<HostAlias> host_aliases;
  std::optional<PodDNSConfig> dns_config;
  std::optional<bool> enable_service_links, set_hostname_as_fqdn;
  IgnoredFields ignored;
  friend bool operator==(const PodSpec&, const PodSpec&) = default;
};

struct PodTemplateSpec {
  ObjectMeta metadata;
  PodSpec spec;
  friend bool operator==(const PodTemplateSpec&, const PodTemplateSpec&) = default;
};

struct PodCondition {
  std::string type, status;
  Time last_probe_time, last_transition_time;
  std::string reason, message;
  friend bool operator==(const PodCondition&, const PodCondition&) = default;
};
struct ContainerStateWaiting {
  std::string reason, message;
  friend bool operator==(const ContainerStateWaiting&, const ContainerStateWaiting&) = default;
};
struct ContainerStateRunning {
  Time started_at;
  friend bool operator==(const ContainerStateRunning&, const ContainerStateRunning&) = default;
};
struct ContainerStateTerminated {
  int32_t exit_code = 0, signal = 0;
  std::string reason, message;
  Time started_at, finished_at;
  std::string container_id;
  friend bool operator==(const ContainerStateTerminated&, const ContainerStateTerminated&) = default;
};
struct ContainerState {
  std::optional<ContainerStateWaiting> waiting;
  std::optional<ContainerStateRunning> running;
  std::optional<ContainerStateTerminated> terminated;
  friend bool operator==(const ContainerState&, const ContainerState&) = default;
};
struct ContainerStatus {
  std::string name;
  ContainerState state, last_state;
  bool ready = false;
  int32_t restart_count = 0;
  std::string image, image_id, container_id;
  std::optional<bool> started;
  friend bool operator==(const ContainerStatus&, const ContainerStatus&) = default;
};
struct PodIP {
  std::string ip;
  friend bool operator==(const PodIP&, const PodIP&) = default;
};
struct PodStatus {
  std::string phase;
  std::vector<PodCondition> conditions;
  std::string message, reason, host_ip;
  std::vector<PodIP> host_ips;
  std::string pod_ip;
  std::vector<PodIP> pod_ips;
  std::optional<Time> start_time;
  std::vector<ContainerStatus> init_container_statuses, container_statuses;
  std::string qos_class;
  friend bool operator==(const PodStatus&, const PodStatus&) = default;
};

struct Pod {
  ObjectMeta metadata;
  PodSpec spec;
  PodStatus status;
  friend bool operator==(const Pod&, const Pod&) = default;
};

SKIFF_MANIFEST_RECORD(LocalObjectReference)
SKIFF_MANIFEST_RECORD(ObjectFieldSelector)
SKIFF_MANIFEST_RECORD(ResourceFieldSelector)
SKIFF_MANIFEST_RECORD(KeySelector)
SKIFF_MANIFEST_RECORD(EnvVarSource)
SKIFF_MANIFEST_RECORD(EnvVar)
SKIFF_MANIFEST_RECORD(EnvSourceRef)
SKIFF_MANIFEST_RECORD(EnvFromSource)
SKIFF_MANIFEST_RECORD(ContainerPort)
SKIFF_MANIFEST_RECORD(ResourceRequirements)
SKIFF_MANIFEST_RECORD(VolumeMount)
SKIFF_MANIFEST_RECORD(Capabilities)
SKIFF_MANIFEST_RECORD(SeccompProfile)
SKIFF_MANIFEST_RECORD(SecurityContext)
SKIFF_MANIFEST_RECORD(Sysctl)
SKIFF_MANIFEST_RECORD(PodSecurityContext)
SKIFF_MANIFEST_RECORD(Container)
SKIFF_MANIFEST_RECORD(KeyToPath)
SKIFF_MANIFEST_RECORD(EmptyDirVolumeSource)
SKIFF_MANIFEST_RECORD(HostPathVolumeSource)
SKIFF_MANIFEST_RECORD(ConfigMapVolumeSource)
SKIFF_MANIFEST_RECORD(SecretVolumeSource)
SKIFF_MANIFEST_RECORD(DownwardAPIVolumeFile)
SKIFF_MANIFEST_RECORD(DownwardAPIVolumeSource)
SKIFF_MANIFEST_RECORD(ProjectionSource)
SKIFF_MANIFEST_RECORD(DownwardAPIProjection)
SKIFF_MANIFEST_RECORD(VolumeProjection)
SKIFF_MANIFEST_RECORD(ProjectedVolumeSource)
SKIFF_MANIFEST_RECORD(Volume)
SKIFF_MANIFEST_RECORD(HostAlias)
SKIFF_MANIFEST_RECORD(PodDNSConfigOption)
SKIFF_MANIFEST_RECORD(PodDNSConfig)
SKIFF_MANIFEST_RECORD(PodSpec)
SKIFF_MANIFEST_RECORD(PodTemplateSpec)
SKIFF_MANIFEST_RECORD(PodCondition)
SKIFF_MANIFEST_RECORD(ContainerStateWaiting)
SKIFF_MANIFEST_RECORD(ContainerStateRunning)
SKIFF_MANIFEST_RECORD(ContainerStateTerminated)
SKIFF_MANIFEST_RECORD(ContainerState)
SKIFF_MANIFEST_RECORD(ContainerStatus)
SKIFF_MANIFEST_RECORD(PodIP)
SKIFF_MANIFEST_RECORD(PodStatus)

}  // namespace skiff::manifest
