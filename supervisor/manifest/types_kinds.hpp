// The kinds skiff runs, besides Pod: Namespace, ConfigMap, Secret (core/v1), Deployment and ReplicaSet
// (apps/v1), Service (core/v1) and HorizontalPodAutoscaler (autoscaling/v2; autoscaling/v1 is converted).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "manifest/codec_fwd.hpp"
#include "manifest/types_pod.hpp"

namespace skiff::manifest {

// --- Namespace ---
struct NamespaceSpec {
  std::vector<std::string> finalizers;
  friend bool operator==(const NamespaceSpec&, const NamespaceSpec&) = default;
};
struct NamespaceStatus {
  std::string phase;
  std::vector<Condition> conditions;
  friend bool operator==(const NamespaceStatus&, const NamespaceStatus&) = default;
};
struct Namespace {
  ObjectMeta metadata;
  NamespaceSpec spec;
  NamespaceStatus status;
  friend bool operator==(const Namespace&, const Namespace&) = default;
};

// --- ConfigMap and Secret ---
// Bytes that JSON carries as standard base64 (Secret.data, ConfigMap.binaryData).
struct Bytes {
  std::string bytes;
  friend bool operator==(const Bytes&, const Bytes&) = default;
};
struct ConfigMap {
  ObjectMeta metadata;
  std::map<std::string, std::string> data;
  std::map<std::string, Bytes> binary_data;
  std::optional<bool> immutable;
  friend bool operator==(const ConfigMap&, const ConfigMap&) = default;
};
struct Secret {
  ObjectMeta metadata;
  std::map<std::string, Bytes> data;
  // Write-only, as with the API server: merged into data (and emptied) by the defaults.
  std::map<std::string, std::string> string_data;
  std::string type;
  std::optional<bool> immutable;
  friend bool operator==(const Secret&, const Secret&) = default;
};

// --- Deployment and ReplicaSet ---
struct RollingUpdateDeployment {
  std::optional<IntOrString> max_unavailable, max_surge;
  friend bool operator==(const RollingUpdateDeployment&, const RollingUpdateDeployment&) = default;
};
struct DeploymentStrategy {
  std::string type;
  std::optional<RollingUpdateDeployment> rolling_update;
  friend bool operator==(const DeploymentStrategy&, const DeploymentStrategy&) = default;
};
struct DeploymentSpec {
  std::optional<int32_t> replicas;
  std::optional<LabelSelector> selector;
  PodTemplateSpec template_;
  DeploymentStrategy strategy;
  int32_t min_ready_seconds = 0;
  std::optional<int32_t> revision_history_limit;
  bool paused = false;
  std::optional<int32_t> progress_deadline_seconds;
  friend bool operator==(const DeploymentSpec&, const DeploymentSpec&) = default;
};
struct DeploymentStatus {
  int64_t observed_generation = 0;
  int32_t replicas = 0, updated_replicas = 0, ready_replicas = 0, available_replicas = 0,
          unavailable_replicas = 0;
  std::vector<Condition> conditions;
  std::optional<int32_t> collision_count;
  friend bool operator==(const DeploymentStatus&, const DeploymentStatus&) = default;
};
struct Deployment {
  ObjectMeta metadata;
  DeploymentSpec spec;
  DeploymentStatus status;
  friend bool operator==(const Deployment&, const Deployment&) = default;
};

struct ReplicaSetSpec {
  std::optional<int32_t> replicas;
  int32_t min_ready_seconds = 0;
  std::optional<LabelSelector> selector;
  PodTemplateSpec template_;
  friend bool operator==(const ReplicaSetSpec&, const ReplicaSetSpec&) = default;
};
struct ReplicaSetStatus {
  int32_t replicas = 0, fully_labeled_replicas = 0, ready_replicas = 0, available_replicas = 0;
  int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  friend bool operator==(const ReplicaSetStatus&, const ReplicaSetStatus&) = default;
};
struct ReplicaSet {
  ObjectMeta metadata;
  ReplicaSetSpec spec;
  ReplicaSetStatus status;
  friend bool operator==(const ReplicaSet&, const ReplicaSet&) = default;
};

// --- Service ---
struct ServicePort {
  std::string name, protocol, app_protocol;
  int32_t port = 0;
  IntOrString target_port;
  int32_t node_port = 0;
  friend bool operator==(const ServicePort&, const ServicePort&) = default;
};
struct ClientIPConfig {
  std::optional<int32_t> timeout_seconds;
  friend bool operator==(const ClientIPConfig&, const ClientIPConfig&) = default;
};
struct SessionAffinityConfig {
  std::optional<ClientIPConfig> client_ip;
  friend bool operator==(const SessionAffinityConfig&, const SessionAffinityConfig&) = default;
};
struct ServiceSpec {
  std::vector<ServicePort> ports;
  LabelMap selector;
  std::string cluster_ip;
  std::vector<std::string> cluster_ips;
  std::string type, external_name, external_traffic_policy, session_affinity;
  std::optional<SessionAffinityConfig> session_affinity_config;
  bool publish_not_ready_addresses = false;
  std::vector<std::string> ip_families;
  std::optional<std::string> ip_family_policy;
  std::optional<bool> allocate_load_balancer_node_ports;
  std::optional<std::string> internal_traffic_policy;
  IgnoredFields ignored;
  friend bool operator==(const ServiceSpec&, const ServiceSpec&) = default;
};
struct PortStatus {
  int32_t port = 0;
  std::string protocol;
  std::optional<std::string> error;
  friend bool operator==(const PortStatus&, const PortStatus&) = default;
};
struct LoadBalancerIngress {
  std::string ip, hostname;
  std::optional<std::string> ip_mode;
  std::vector<PortStatus> ports;
  friend bool operator==(const LoadBalancerIngress&, const LoadBalancerIngress&) = default;
};
struct LoadBalancerStatus {
  std::vector<LoadBalancerIngress> ingress;
  friend bool operator==(const LoadBalancerStatus&, const LoadBalancerStatus&) = default;
};
struct ServiceStatus {
  LoadBalancerStatus load_balancer;
  std::vector<Condition> conditions;
  friend bool operator==(const ServiceStatus&, const ServiceStatus&) = default;
};
struct Service {
  ObjectMeta metadata;
  ServiceSpec spec;
  ServiceStatus status;
  friend bool operator==(const Service&, const Service&) = default;
};

// --- HorizontalPodAutoscaler (autoscaling/v2) ---
struct CrossVersionObjectReference {
  std::string kind, name, api_version;
  friend bool operator==(const CrossVersionObjectReference&, const CrossVersionObjectReference&) = default;
};
struct MetricTarget {
  std::string type;
  std::optional<Quantity> value, average_value;
  std::optional<int32_t> average_utilization;
  friend bool operator==(const MetricTarget&, const MetricTarget&) = default;
};
struct ResourceMetricSource {
  std::string name;
  MetricTarget target;
  friend bool operator==(const ResourceMetricSource&, const ResourceMetricSource&) = default;
};
struct MetricSpec {
  std::string type;
  std::optional<ResourceMetricSource> resource;
  // Metric sources that need a metrics pipeline one host does not have: read, then refused.
  std::optional<nlohmann::json> pods, object, external, container_resource;
  friend bool operator==(const MetricSpec&, const MetricSpec&) = default;
};
struct HPAScalingPolicy {
  std::string type;
  int32_t value = 0, period_seconds = 0;
  friend bool operator==(const HPAScalingPolicy&, const HPAScalingPolicy&) = default;
};
struct HPAScalingRules {
  std::optional<int32_t> stabilization_window_seconds;
  std::optional<std::string> select_policy;
  std::vector<HPAScalingPolicy> policies;
  friend bool operator==(const HPAScalingRules&, const HPAScalingRules&) = default;
};
struct HorizontalPodAutoscalerBehavior {
  std::optional<HPAScalingRules> scale_up, scale_down;
  friend bool operator==(const HorizontalPodAutoscalerBehavior&,
                         const HorizontalPodAutoscalerBehavior&) = default;
};
struct HorizontalPodAutoscalerSpec {
  CrossVersionObjectReference scale_target_ref;
  std::optional<int32_t> min_replicas;
  int32_t max_replicas = 0;
  std::vector<MetricSpec> metrics;
  std::optional<HorizontalPodAutoscalerBehavior> behavior;
  friend bool operator==(const HorizontalPodAutoscalerSpec&, const HorizontalPodAutoscalerSpec&) = default;
};
struct MetricValueStatus {
  std::optional<Quantity> value, average_value;
  std::optional<int32_t> average_utilization;
  friend bool operator==(const MetricValueStatus&, const MetricValueStatus&) = default;
};
struct ResourceMetricStatus {
  std::string name;
  MetricValueStatus current;
  friend bool operator==(const ResourceMetricStatus&, const ResourceMetricStatus&) = default;
};
struct MetricStatus {
  std::string type;
  std::optional<ResourceMetricStatus> resource;
  friend bool operator==(const MetricStatus&, const MetricStatus&) = default;
};
struct HorizontalPodAutoscalerStatus {
  std::optional<int64_t> observed_generation;
  std::optional<Time> last_scale_time;
  int32_t current_replicas = 0, desired_replicas = 0;
  std::vector<MetricStatus> current_metrics;
  std::vector<Condition> conditions;
  friend bool operator==(const HorizontalPodAutoscalerStatus&,
                         const HorizontalPodAutoscalerStatus&) = default;
};
struct HorizontalPodAutoscaler {
  ObjectMeta metadata;
  HorizontalPodAutoscalerSpec spec;
  HorizontalPodAutoscalerStatus status;
  friend bool operator==(const HorizontalPodAutoscaler&, const HorizontalPodAutoscaler&) = default;
};

// autoscaling/v1, read and converted to v2 as the API server does.
struct HorizontalPodAutoscalerSpecV1 {
  CrossVersionObjectReference scale_target_ref;
  std::optional<int32_t> min_replicas;
  int32_t max_replicas = 0;
  std::optional<int32_t> target_cpu_utilization_percentage;
};
struct HorizontalPodAutoscalerStatusV1 {
  std::optional<int64_t> observed_generation;
  std::optional<Time> last_scale_time;
  int32_t current_replicas = 0, desired_replicas = 0;
  std::optional<int32_t> current_cpu_utilization_percentage;
};

SKIFF_MANIFEST_RECORD(NamespaceSpec)
SKIFF_MANIFEST_RECORD(NamespaceStatus)
SKIFF_MANIFEST_RECORD(RollingUpdateDeployment)
SKIFF_MANIFEST_RECORD(DeploymentStrategy)
SKIFF_MANIFEST_RECORD(DeploymentSpec)
SKIFF_MANIFEST_RECORD(DeploymentStatus)
SKIFF_MANIFEST_RECORD(ReplicaSetSpec)
SKIFF_MANIFEST_RECORD(ReplicaSetStatus)
SKIFF_MANIFEST_RECORD(ServicePort)
SKIFF_MANIFEST_RECORD(ClientIPConfig)
SKIFF_MANIFEST_RECORD(SessionAffinityConfig)
SKIFF_MANIFEST_RECORD(ServiceSpec)
SKIFF_MANIFEST_RECORD(PortStatus)
SKIFF_MANIFEST_RECORD(LoadBalancerIngress)
SKIFF_MANIFEST_RECORD(LoadBalancerStatus)
SKIFF_MANIFEST_RECORD(ServiceStatus)
SKIFF_MANIFEST_RECORD(CrossVersionObjectReference)
SKIFF_MANIFEST_RECORD(MetricTarget)
SKIFF_MANIFEST_RECORD(ResourceMetricSource)
SKIFF_MANIFEST_RECORD(MetricSpec)
SKIFF_MANIFEST_RECORD(HPAScalingPolicy)
SKIFF_MANIFEST_RECORD(HPAScalingRules)
SKIFF_MANIFEST_RECORD(HorizontalPodAutoscalerBehavior)
SKIFF_MANIFEST_RECORD(HorizontalPodAutoscalerSpec)
SKIFF_MANIFEST_RECORD(MetricValueStatus)
SKIFF_MANIFEST_RECORD(ResourceMetricStatus)
SKIFF_MANIFEST_RECORD(MetricStatus)
SKIFF_MANIFEST_RECORD(HorizontalPodAutoscalerStatus)
SKIFF_MANIFEST_RECORD(HorizontalPodAutoscalerSpecV1)
SKIFF_MANIFEST_RECORD(HorizontalPodAutoscalerStatusV1)
// Objects themselves (apiVersion and kind are checked by the object layer).
SKIFF_MANIFEST_RECORD(Pod)
SKIFF_MANIFEST_RECORD(Namespace)
SKIFF_MANIFEST_RECORD(ConfigMap)
SKIFF_MANIFEST_RECORD(Secret)
SKIFF_MANIFEST_RECORD(Deployment)
SKIFF_MANIFEST_RECORD(ReplicaSet)
SKIFF_MANIFEST_RECORD(Service)
SKIFF_MANIFEST_RECORD(HorizontalPodAutoscaler)

}  // namespace skiff::manifest
