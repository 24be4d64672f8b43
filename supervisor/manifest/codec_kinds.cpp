// Field lists of the kinds other than Pod's own records, and the objects themselves.
#include "manifest/base64.hpp"
#include "manifest/codec.hpp"
#include "manifest/types_kinds.hpp"

namespace skiff::manifest {

void decode_value(const nlohmann::json& v, const FieldPath& p, Diagnostics& d, Bytes& out) {
  if (!v.is_string()) return type_error(d, p, v, "a base64 string");
  std::string err;
  auto bytes = base64_decode(v.get_ref<const std::string&>(), &err);
  if (!bytes) return d.error(p, "Invalid value: must be base64 encoded: " + err);
  out.bytes = std::move(*bytes);
}
nlohmann::json encode_value(const Bytes& v) {
  return base64_encode(v.bytes);
}
bool is_empty(const Bytes&) {
  return false;
}

SKIFF_FIELDS(NamespaceSpec) {
  v.type("NamespaceSpec");
  v("finalizers", s.finalizers);
}
SKIFF_FIELDS(NamespaceStatus) {
  v.type("NamespaceStatus");
  v("phase", s.phase);
  v("conditions", s.conditions);
}
SKIFF_FIELDS(RollingUpdateDeployment) {
  v.type("RollingUpdateDeployment");
  v("maxUnavailable", s.max_unavailable);
  v("maxSurge", s.max_surge);
}
SKIFF_FIELDS(DeploymentStrategy) {
  v.type("DeploymentStrategy");
  v("type", s.type);
  v("rollingUpdate", s.rolling_update);
}
SKIFF_FIELDS(DeploymentSpec) {
  v.type("DeploymentSpec");
  v("replicas", s.replicas);
  v("selector", s.selector, Emit::always);
  v("template", s.template_, Emit::always);
  v("strategy", s.strategy);
  v("minReadySeconds", s.min_ready_seconds);
  v("revisionHistoryLimit", s.revision_history_limit);
  v("paused", s.paused);
  v("progressDeadlineSeconds", s.progress_deadline_seconds);
}
SKIFF_FIELDS(DeploymentStatus) {
  v.type("DeploymentStatus");
  v("observedGeneration", s.observed_generation);
  v("replicas", s.replicas);
  v("updatedReplicas", s.updated_replicas);
  v("readyReplicas", s.ready_replicas);
  v("availableReplicas", s.available_replicas);
  v("unavailableReplicas", s.unavailable_replicas);
  v("conditions", s.conditions);
  v("collisionCount", s.collision_count);
}
SKIFF_FIELDS(ReplicaSetSpec) {
  v.type("ReplicaSetSpec");
  v("replicas", s.replicas);
  v("minReadySeconds", s.min_ready_seconds);
  v("selector", s.selector, Emit::always);
  v("template", s.template_);
}
SKIFF_FIELDS(ReplicaSetStatus) {
  v.type("ReplicaSetStatus");
  v("replicas", s.replicas, Emit::always);
  v("fullyLabeledReplicas", s.fully_labeled_replicas);
  v("readyReplicas", s.ready_replicas);
  v("availableReplicas", s.available_replicas);
  v("observedGeneration", s.observed_generation);
  v("conditions", s.conditions);
}
SKIFF_FIELDS(ServicePort) {
  v.type("ServicePort");
  v("name", s.name);
  v("protocol", s.protocol);
  v("appProtocol", s.app_protocol);
  v("port", s.port, Emit::always);
  v("targetPort", s.target_port);
  v("nodePort", s.node_port);
}
SKIFF_FIELDS(ClientIPConfig) {
  v.type("ClientIPConfig");
  v("timeoutSeconds", s.timeout_seconds);
}
SKIFF_FIELDS(SessionAffinityConfig) {
  v.type("SessionAffinityConfig");
  v("clientIP", s.client_ip);
}
SKIFF_FIELDS(ServiceSpec) {
  v.type("ServiceSpec");
  v.keep_ignored(s.ignored);
  v("ports", s.ports);
  v("selector", s.selector);
  v("clusterIP", s.cluster_ip);
  v("clusterIPs", s.cluster_ips);
  v("type", s.type);
  v("externalName", s.external_name);
  v("externalTrafficPolicy", s.external_traffic_policy);
  v("sessionAffinity", s.session_affinity);
  v("sessionAffinityConfig", s.session_affinity_config);
  v("publishNotReadyAddresses", s.publish_not_ready_addresses);
  v("ipFamilies", s.ip_families);
  v("ipFamilyPolicy", s.ip_family_policy);
  v("allocateLoadBalancerNodePorts", s.allocate_load_balancer_node_ports);
  v("internalTrafficPolicy", s.internal_traffic_policy);
}
SKIFF_FIELDS(PortStatus) {
  v.type("PortStatus");
  v("port", s.port, Emit::always);
  v("protocol", s.protocol, Emit::always);
  v("error", s.error);
}
SKIFF_FIELDS(LoadBalancerIngress) {
  v.type("LoadBalancerIngress");
  v("ip", s.ip);
  v("hostname", s.hostname);
  v("ipMode", s.ip_mode);
  v("ports", s.ports);
}
SKIFF_FIELDS(LoadBalancerStatus) {
  v.type("LoadBalancerStatus");
  v("ingress", s.ingress);
}
SKIFF_FIELDS(ServiceStatus) {
  v.type("ServiceStatus");
  v("loadBalancer", s.load_balancer);
  v("conditions", s.conditions);
}
SKIFF_FIELDS(CrossVersionObjectReference) {
  v.type("CrossVersionObjectReference");
  v("kind", s.kind, Emit::always);
  v("name", s.name, Emit::always);
  v("apiVersion", s.api_version);
}
SKIFF_FIELDS(MetricTarget) {
  v.type("MetricTarget");
  v("type", s.type, Emit::always);
  v("value", s.value);
  v("averageValue", s.average_value);
  v("averageUtilization", s.average_utilization);
}
SKIFF_FIELDS(ResourceMetricSource) {
  v.type("ResourceMetricSource");
  v("name", s.name, Emit::always);
  v("target", s.target);
}
SKIFF_FIELDS(MetricSpec) {
  v.type("MetricSpec");
  v("type", s.type, Emit::always);
  v("object", s.object);
  v("pods", s.pods);
  v("resource", s.resource);
  v("containerResource", s.container_resource);
  v("external", s.external);
}
SKIFF_FIELDS(HPAScalingPolicy) {
  v.type("HPAScalingPolicy");
  v("type", s.type, Emit::always);
  v("value", s.value, Emit::always);
  v("periodSeconds", s.period_seconds, Emit::always);
}
SKIFF_FIELDS(HPAScalingRules) {
  v.type("HPAScalingRules");
  v("stabilizationWindowSeconds", s.stabilization_window_seconds);
  v("selectPolicy", s.select_policy);
  v("policies", s.policies);
}
SKIFF_FIELDS(HorizontalPodAutoscalerBehavior) {
  v.type("HorizontalPodAutoscalerBehavior");
  v("scaleUp", s.scale_up);
  v("scaleDown", s.scale_down);
}
SKIFF_FIELDS(HorizontalPodAutoscalerSpec) {
  v.type("HorizontalPodAutoscalerSpec");
  v("scaleTargetRef", s.scale_target_ref);
  v("minReplicas", s.min_replicas);
  v("maxReplicas", s.max_replicas, Emit::always);
  v("metrics", s.metrics);
  v("behavior", s.behavior);
}
SKIFF_FIELDS(MetricValueStatus) {
  v.type("MetricValueStatus");
  v("value", s.value);
  v("averageValue", s.average_value);
  v("averageUtilization", s.average_utilization);
}
SKIFF_FIELDS(ResourceMetricStatus) {
  v.type("ResourceMetricStatus");
  v("name", s.name, Emit::always);
  v("current", s.current);
}
SKIFF_FIELDS(MetricStatus) {
  v.type("MetricStatus");
  v("type", s.type, Emit::always);
  v("resource", s.resource);
}
SKIFF_FIELDS(HorizontalPodAutoscalerStatus) {
  v.type("HorizontalPodAutoscalerStatus");
  v("observedGeneration", s.observed_generation);
  v("lastScaleTime", s.last_scale_time);
  v("currentReplicas", s.current_replicas);
  v("desiredReplicas", s.desired_replicas, Emit::always);
  v("currentMetrics", s.current_metrics);
  v("conditions", s.conditions);
}
SKIFF_FIELDS(HorizontalPodAutoscalerSpecV1) {
  v.type("HorizontalPodAutoscalerSpecV1");
  v("scaleTargetRef", s.scale_target_ref);
  v("minReplicas", s.min_replicas);
  v("maxReplicas", s.max_replicas, Emit::always);
  v("targetCPUUtilizationPercentage", s.target_cpu_utilization_percentage);
}
SKIFF_FIELDS(HorizontalPodAutoscalerStatusV1) {
  v.type("HorizontalPodAutoscalerStatusV1");
  v("observedGeneration", s.observed_generation);
  v("lastScaleTime", s.last_scale_time);
  v("currentReplicas", s.current_replicas);
  v("desiredReplicas", s.desired_replicas, Emit::always);
  v("currentCPUUtilizationPercentage", s.current_cpu_utilization_percentage);
}

SKIFF_FIELDS(Pod) {
  object_fields(v, s, "Pod");
}
SKIFF_FIELDS(Namespace) {
  object_fields(v, s, "Namespace");
}
SKIFF_FIELDS(ConfigMap) {
  v.type("ConfigMap");
  v.accept("apiVersion");
  v.accept("kind");
  v("metadata", s.metadata);
  v("immutable", s.immutable);
  v("data", s.data);
  v("binaryData", s.binary_data);
}
SKIFF_FIELDS(Secret) {
  v.type("Secret");
  v.accept("apiVersion");
  v.accept("kind");
  v("metadata", s.metadata);
  v("immutable", s.immutable);
  v("data", s.data);
  v("stringData", s.string_data);
  v("type", s.type);
}
SKIFF_FIELDS(Deployment) {
  object_fields(v, s, "Deployment");
}
SKIFF_FIELDS(ReplicaSet) {
  object_fields(v, s, "ReplicaSet");
}
SKIFF_FIELDS(Service) {
  object_fields(v, s, "Service");
}
SKIFF_FIELDS(HorizontalPodAutoscaler) {
  object_fields(v, s, "HorizontalPodAutoscaler");
}

}  // namespace skiff::manifest
