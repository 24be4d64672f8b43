// Field lists of the Pod records, in the order Kubernetes' Go types declare them.
#include "manifest/codec.hpp"
#include "manifest/types_pod.hpp"

namespace skiff::manifest {

SKIFF_FIELDS(LocalObjectReference) {
  v.type("LocalObjectReference");
  v("name", s.name);
}
SKIFF_FIELDS(ObjectFieldSelector) {
  v.type("ObjectFieldSelector");
  v("apiVersion", s.api_version);
  v("fieldPath", s.field_path, Emit::always);
}
SKIFF_FIELDS(ResourceFieldSelector) {
  v.type("ResourceFieldSelector");
  v("containerName", s.container_name);
  v("resource", s.resource, Emit::always);
  v("divisor", s.divisor);
}
SKIFF_FIELDS(KeySelector) {
  v.type("KeySelector");
  v("name", s.name);
  v("key", s.key, Emit::always);
  v("optional", s.optional);
}
SKIFF_FIELDS(EnvVarSource) {
  v.type("EnvVarSource");
  v("fieldRef", s.field_ref);
  v("resourceFieldRef", s.resource_field_ref);
  v("configMapKeyRef", s.config_map_key_ref);
  v("secretKeyRef", s.secret_key_ref);
}
SKIFF_FIELDS(EnvVar) {
  v.type("EnvVar");
  v("name", s.name, Emit::always);
  v("value", s.value);
  v("valueFrom", s.value_from);
}
SKIFF_FIELDS(EnvSourceRef) {
  v.type("EnvSourceRef");
  v("name", s.name);
  v("optional", s.optional);
}
SKIFF_FIELDS(EnvFromSource) {
  v.type("EnvFromSource");
  v("prefix", s.prefix);
  v("configMapRef", s.config_map_ref);
  v("secretRef", s.secret_ref);
}
SKIFF_FIELDS(ContainerPort) {
  v.type("ContainerPort");
  v("name", s.name);
  v("hostPort", s.host_port);
  v("containerPort", s.container_port, Emit::always);
  v("protocol", s.protocol);
  v("hostIP", s.host_ip);
}
SKIFF_FIELDS(ResourceRequirements) {
  v.type("ResourceRequirements");
  v("limits", s.limits);
  v("requests", s.requests);
}
SKIFF_FIELDS(VolumeMount) {
  v.type("VolumeMount");
  v("name", s.name, Emit::always);
  v("readOnly", s.read_only);
  v("mountPath", s.mount_path, Emit::always);
  v("subPath", s.sub_path);
  v("mountPropagation", s.mount_propagation);
  v("subPathExpr", s.sub_path_expr);
}
SKIFF_FIELDS(Capabilities) {
  v.type("Capabilities");
  v("add", s.add);
  v("drop", s.drop);
}
SKIFF_FIELDS(SeccompProfile) {
  v.type("SeccompProfile");
  v("type", s.type, Emit::always);
  v("localhostProfile", s.localhost_profile);
}
SKIFF_FIELDS(SecurityContext) {
  v.type("SecurityContext");
  v.keep_ignored(s.ignored);
  v("capabilities", s.capabilities);
  v("privileged", s.privileged);
  v("runAsUser", s.run_as_user);
  v("runAsGroup", s.run_as_group);
  v("runAsNonRoot", s.run_as_non_root);
  v("readOnlyRootFilesystem", s.read_only_root_filesystem);
  v("allowPrivilegeEscalation", s.allow_privilege_escalation);
  v("seccompProfile", s.seccomp_profile);
}
SKIFF_FIELDS(Sysctl) {
  v.type("Sysctl");
  v("name", s.name, Emit::always);
  v("value", s.value, Emit::always);
}
SKIFF_FIELDS(PodSecurityContext) {
  v.type("PodSecurityContext");
  v.keep_ignored(s.ignored);
  v("runAsUser", s.run_as_user);
  v("runAsGroup", s.run_as_group);
  v("runAsNonRoot", s.run_as_non_root);
  v("supplementalGroups", s.supplemental_groups);
  v("fsGroup", s.fs_group);
  v("sysctls", s.sysctls);
  v("fsGroupChangePolicy", s.fs_group_change_policy);
  v("seccompProfile", s.seccomp_profile);
}
SKIFF_FIELDS(Container) {
  v.type("Container");
  v.keep_ignored(s.ignored);
  v("name", s.name, Emit::always);
  v("image", s.image);
  v("command", s.command);
  v("args", s.args);
  v("workingDir", s.working_dir);
  v("ports", s.ports);
  v("envFrom", s.env_from);
  v("env", s.env);
  v("resources", s.resources);
  v("volumeMounts", s.volume_mounts);
  v("livenessProbe", s.liveness_probe);
  v("readinessProbe", s.readiness_probe);
  v("startupProbe", s.startup_probe);
  v("lifecycle", s.lifecycle);
  v("terminationMessagePath", s.termination_message_path);
  v("terminationMessagePolicy", s.termination_message_policy);
  v("imagePullPolicy", s.image_pull_policy);
  v("securityContext", s.security_context);
  v("stdin", s.stdin);
  v("stdinOnce", s.stdin_once);
  v("tty", s.tty);
}
SKIFF_FIELDS(KeyToPath) {
  v.type("KeyToPath");
  v("key", s.key, Emit::always);
  v("path", s.path, Emit::always);
  v("mode", s.mode);
}
SKIFF_FIELDS(EmptyDirVolumeSource) {
  v.type("EmptyDirVolumeSource");
  v("medium", s.medium);
  v("sizeLimit", s.size_limit);
}
SKIFF_FIELDS(HostPathVolumeSource) {
  v.type("HostPathVolumeSource");
  v("path", s.path, Emit::always);
  v("type", s.type);
}
SKIFF_FIELDS(ConfigMapVolumeSource) {
  v.type("ConfigMapVolumeSource");
  v("name", s.name);
  v("items", s.items);
  v("defaultMode", s.default_mode);
  v("optional", s.optional);
}
SKIFF_FIELDS(SecretVolumeSource) {
  v.type("SecretVolumeSource");
  v("secretName", s.secret_name);
  v("items", s.items);
  v("defaultMode", s.default_mode);
  v("optional", s.optional);
}
SKIFF_FIELDS(DownwardAPIVolumeFile) {
  v.type("DownwardAPIVolumeFile");
  v("path", s.path, Emit::always);
  v("fieldRef", s.field_ref);
  v("resourceFieldRef", s.resource_field_ref);
  v("mode", s.mode);
}
SKIFF_FIELDS(DownwardAPIVolumeSource) {
  v.type("DownwardAPIVolumeSource");
  v("items", s.items);
  v("defaultMode", s.default_mode);
}
SKIFF_FIELDS(ProjectionSource) {
  v.type("ProjectionSource");
  v("name", s.name);
  v("items", s.items);
  v("optional", s.optional);
}
SKIFF_FIELDS(DownwardAPIProjection) {
  v.type("DownwardAPIProjection");
  v("items", s.items);
}
SKIFF_FIELDS(VolumeProjection) {
  v.type("VolumeProjection");
  v("secret", s.secret);
  v("downwardAPI", s.downward_api);
  v("configMap", s.config_map);
}
SKIFF_FIELDS(ProjectedVolumeSource) {
  v.type("ProjectedVolumeSource");
  v("sources", s.sources, Emit::always);
  v("defaultMode", s.default_mode);
}
SKIFF_FIELDS(Volume) {
  v.type("Volume");
  v("name", s.name, Emit::always);
  v("hostPath", s.host_path);
  v("emptyDir", s.empty_dir);
  v("secret", s.secret);
  v("configMap", s.config_map);
  v("downwardAPI", s.downward_api);
  v("projected", s.projected);
}
SKIFF_FIELDS(HostAlias) {
  v.type("HostAlias");
  v("ip", s.ip, Emit::always);
  v("hostnames", s.hostnames);
}
SKIFF_FIELDS(PodDNSConfigOption) {
  v.type("PodDNSConfigOption");
  v("name", s.name);
  v("value", s.value);
}
SKIFF_FIELDS(PodDNSConfig) {
  v.type("PodDNSConfig");
  v("nameservers", s.nameservers);
  v("searches", s.searches);
  v("options", s.options);
}
SKIFF_FIELDS(PodSpec) {
  v.type("PodSpec");
  v.keep_ignored(s.ignored);
  v("volumes", s.volumes);
  v("initContainers", s.init_containers);
  v("containers", s.containers, Emit::always);
  v("restartPolicy", s.restart_policy);
  v("terminationGracePeriodSeconds", s.termination_grace_period_seconds);
  v("activeDeadlineSeconds", s.active_deadline_seconds);
  v("dnsPolicy", s.dns_policy);
  v("nodeSelector", s.node_selector);
  v("nodeName", s.node_name);
  v("hostNetwork", s.host_network);
  v("hostPID", s.host_pid);
  v("hostIPC", s.host_ipc);
  v("shareProcessNamespace", s.share_process_namespace);
  v("securityContext", s.security_context);
  v("imagePullSecrets", s.image_pull_secrets);
  v("hostname", s.hostname);
  v("subdomain", s.subdomain);
  v("hostAliases", s.host_aliases);
  v("dnsConfig", s.dns_config);
  v("enableServiceLinks", s.enable_service_links);
  v("setHostnameAsFQDN", s.set_hostname_as_fqdn);
}
SKIFF_FIELDS(PodTemplateSpec) {
  v.type("PodTemplateSpec");
  v("metadata", s.metadata);
  v("spec", s.spec);
}
SKIFF_FIELDS(PodCondition) {
  v.type("PodCondition");
  v("type", s.type, Emit::always);
  v("status", s.status, Emit::always);
  v("lastProbeTime", s.last_probe_time);
  v("lastTransitionTime", s.last_transition_time);
  v("reason", s.reason);
  v("message", s.message);
}
SKIFF_FIELDS(ContainerStateWaiting) {
  v.type("ContainerStateWaiting");
  v("reason", s.reason);
  v("message", s.message);
}
SKIFF_FIELDS(ContainerStateRunning) {
  v.type("ContainerStateRunning");
  v("startedAt", s.started_at);
}
SKIFF_FIELDS(ContainerStateTerminated) {
  v.type("ContainerStateTerminated");
  v("exitCode", s.exit_code, Emit::always);
  v("signal", s.signal);
  v("reason", s.reason);
  v("message", s.message);
  v("startedAt", s.started_at);
  v("finishedAt", s.finished_at);
  v("containerID", s.container_id);
}
SKIFF_FIELDS(ContainerState) {
  v.type("ContainerState");
  v("waiting", s.waiting);
  v("running", s.running);
  v("terminated", s.terminated);
}
SKIFF_FIELDS(ContainerStatus) {
  v.type("ContainerStatus");
  v("name", s.name, Emit::always);
  v("state", s.state);
  v("lastState", s.last_state);
  v("ready", s.ready, Emit::always);
  v("restartCount", s.restart_count, Emit::always);
  v("image", s.image, Emit::always);
  v("imageID", s.image_id, Emit::always);
  v("containerID", s.container_id);
  v("started", s.started);
}
SKIFF_FIELDS(PodIP) {
  v.type("PodIP");
  v("ip", s.ip);
}
SKIFF_FIELDS(PodStatus) {
  v.type("PodStatus");
  v("phase", s.phase);
  v("conditions", s.conditions);
  v("message", s.message);
  v("reason", s.reason);
  v("hostIP", s.host_ip);
  v("hostIPs", s.host_ips);
  v("podIP", s.pod_ip);
  v("podIPs", s.pod_ips);
  v("startTime", s.start_time);
  v("initContainerStatuses", s.init_container_statuses);
  v("containerStatuses", s.container_statuses);
  v("qosClass", s.qos_class);
}

}  // namespace skiff::manifest
