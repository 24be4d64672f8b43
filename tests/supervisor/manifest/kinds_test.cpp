// Deployment, ReplicaSet, ConfigMap, Secret, Namespace, Service and HorizontalPodAutoscaler: defaults
// from apps/v1, core/v1 and autoscaling/v2 defaults.go, and their validation messages.
#include <gtest/gtest.h>

#include "manifest_test_util.hpp"

namespace skiff::manifest {
namespace {

using test::errors_of;
using test::parse_one;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string deployment(const std::string& spec_extra, const std::string& labels = "app: web",
                       const std::string& selector = "    matchLabels: {app: web}\n") {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n" + spec_extra +
         "  selector:\n" + selector + "  template:\n    metadata:\n      labels: {" + labels +
         "}\n    spec:\n      containers:\n      - {name: c, image: 'busybox:1'}\n";
}

TEST(ManifestDeployment, DefaultsAsAppsV1) {
  Deployment d = parse_one<Deployment>(deployment(""));
  EXPECT_EQ(d.spec.replicas, 1);
  EXPECT_EQ(d.spec.strategy.type, "RollingUpdate");
  EXPECT_EQ(d.spec.strategy.rolling_update->max_surge, IntOrString::from_string("25%"));
  EXPECT_EQ(d.spec.strategy.rolling_update->max_unavailable, IntOrString::from_string("25%"));
  EXPECT_EQ(d.spec.revision_history_limit, 10);
  EXPECT_EQ(d.spec.progress_deadline_seconds, 600);
  EXPECT_EQ(d.spec.min_ready_seconds, 0);
  EXPECT_EQ(d.spec.template_.spec.restart_policy, "Always");
  EXPECT_FALSE(d.spec.template_.spec.enable_service_links) << "SetDefaults_Pod does not apply to templates";
  Deployment r = parse_one<Deployment>(deployment("  strategy: {type: Recreate}\n  replicas: 0\n"));
  EXPECT_FALSE(r.spec.strategy.rolling_update.has_value());
  EXPECT_EQ(r.spec.replicas, 0) << "an explicit 0 stays 0";
}

TEST(ManifestDeployment, SelectorMustMatchTemplate) {
  std::string e = errors_of(deployment("", "app: other"));
  EXPECT_TRUE(
      has(e,
          "spec.template.metadata.labels: Invalid value: {\"app\":\"other\"}: `selector` does not match "
          "template `labels`"))
      << e;
  e = errors_of(deployment("", "app: web", "    matchExpressions:\n    - {key: app, operator: In}\n"));
  EXPECT_TRUE(
      has(e,
          "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` "
          "is 'In' or 'NotIn'"))
      << e;
  e = errors_of(deployment("", "app: web", "    matchExpressions:\n    - {key: app, operator: Like}\n"));
  EXPECT_TRUE(has(e, "operator: Invalid value: \"Like\": not a valid selector operator")) << e;
  e = errors_of(deployment("", "app: web", "    {}\n"));
  EXPECT_TRUE(has(e, "spec.selector: Invalid value: {}: empty selector is invalid for deployment")) << e;
  EXPECT_TRUE(parse_one<Deployment>(
                  deployment("", "app: web, tier: a",
                             "    matchExpressions:\n    - {key: tier, operator: In, values: [a, b]}\n"))
                  .spec.selector.has_value());
}

TEST(ManifestDeployment, StrategyAndCountsValidation) {
  std::string e =
      errors_of(deployment("  replicas: -1\n  strategy:\n    type: RollingUpdate\n    rollingUpdate: "
                           "{maxSurge: 0, maxUnavailable: 0%}\n"));
  EXPECT_TRUE(has(e, "spec.replicas: Invalid value: -1: must be greater than or equal to 0")) << e;
  EXPECT_TRUE(has(e,
                  "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"0%\": may not be 0 when "
                  "`maxSurge` is 0"))
      << e;
  e = errors_of(deployment("  strategy:\n    rollingUpdate: {maxSurge: 'x', maxUnavailable: 120%}\n"));
  EXPECT_TRUE(
      has(e,
          "maxSurge: Invalid value: \"x\": a valid percent string must be a numeric string followed by an "
          "ending '%'"))
      << e;
  EXPECT_TRUE(has(e, "maxUnavailable: Invalid value: \"120%\": must not be greater than 100%")) << e;
  e = errors_of(deployment("  strategy:\n    type: Recreate\n    rollingUpdate: {maxSurge: 1}\n"));
  EXPECT_TRUE(has(e,
                  "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is "
                  "'Recreate'"))
      << e;
  e = errors_of(deployment("  minReadySeconds: 30\n  progressDeadlineSeconds: 30\n"));
  EXPECT_TRUE(has(e, "spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds"))
      << e;
  std::string y = deployment("");
  y.replace(y.find("containers:"), 0, "restartPolicy: OnFailure\n      ");
  EXPECT_TRUE(has(errors_of(y),
                  "spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported "
                  "values: \"Always\""));
}

TEST(ManifestReplicaSet, DefaultsAndOwnerReferences) {
  ReplicaSet rs = parse_one<ReplicaSet>(
      "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web-5d4f8\n  ownerReferences:\n"
      "  - {apiVersion: apps/v1, kind: Deployment, name: web, uid: u1, controller: true, blockOwnerDeletion: "
      "true}\n"
      "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
      "    spec: {containers: [{name: c, image: x}]}\n");
  EXPECT_EQ(rs.spec.replicas, 1);
  ASSERT_EQ(rs.metadata.owner_references.size(), 1u);
  EXPECT_EQ(rs.metadata.owner_references[0].controller, true);
  std::string e = errors_of(
      "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: r\n  ownerReferences:\n"
      "  - {apiVersion: apps/v1, kind: Deployment, name: a, uid: u1, controller: true}\n"
      "  - {apiVersion: apps/v1, kind: Deployment, name: b, uid: '', controller: true}\n"
      "spec:\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: "
      "x}]}\n");
  EXPECT_TRUE(has(e, "spec.selector: Required value")) << e;
  EXPECT_TRUE(has(e, "metadata.ownerReferences[1].uid: Invalid value: \"\": uid must not be empty")) << e;
  EXPECT_TRUE(has(e, "Only one reference can have Controller set to true")) << e;
}

TEST(ManifestConfig, ConfigMapAndSecret) {
  ConfigMap cm = parse_one<ConfigMap>(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: '1'\n"
      "binaryData:\n  b: AAEC\nimmutable: true\n");
  EXPECT_EQ(cm.binary_data.at("b").bytes, std::string("\0\1\2", 3));
  EXPECT_EQ(cm.immutable, true);
  std::string e = errors_of(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a/b: x\n"
      "binaryData:\n  a/b: AA==\n");
  EXPECT_TRUE(has(e, "data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric"))
      << e;
  EXPECT_TRUE(has(e, "binaryData[a/b]: Invalid value: \"a/b\": duplicate of key present in data")) << e;
  e = errors_of("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: '" +
                std::string(1100000, 'x') + "'\n");
  EXPECT_TRUE(has(e, "Too long: may not be more than 1048576 bytes")) << e;

  Secret s = parse_one<Secret>(
      "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  k: dg==\nstringData:\n"
      "  k: over\n  nn: new\n");
  EXPECT_EQ(s.type, "Opaque");
  EXPECT_EQ(s.data.at("k").bytes, "over") << "stringData wins over data, as the API server merges";
  EXPECT_EQ(s.data.at("nn").bytes, "new");
  e = errors_of("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  k: not*base64\n");
  EXPECT_TRUE(has(
      e, "t.yaml:5:6: data[k]: Invalid value: must be base64 encoded: illegal base64 data at input byte 3"))
      << e;
  e = errors_of(
      "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/dockerconfigjson\n"
      "stringData:\n  .dockerconfigjson: '{not json'\n");
  EXPECT_TRUE(has(e, "data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\"")) << e;
  e = errors_of("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/dockerconfigjson\n");
  EXPECT_TRUE(has(e, "data[.dockerconfigjson]: Required value")) << e;
  Secret pull = parse_one<Secret>(
      "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
      "type: kubernetes.io/dockerconfigjson\nstringData:\n"
      "  .dockerconfigjson: '{\"auths\": {\"reg:5000\": {\"auth\": \"dTpw\"}}}'\n");
  EXPECT_EQ(pull.type, "kubernetes.io/dockerconfigjson");
}

TEST(ManifestNamespace, DefaultsAndName) {
  Namespace n =
      parse_one<Namespace>("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, namespace: x}\n");
  EXPECT_EQ(n.metadata.labels.at("kubernetes.io/metadata.name"), "shop");
  EXPECT_EQ(n.metadata.namespace_, "") << "cluster-scoped";
  EXPECT_EQ(n.status.phase, "Active");
  EXPECT_TRUE(has(errors_of("apiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}\n"),
                  "metadata.name: Invalid value: \"a.b\": a lowercase RFC 1123 label"));
}

std::string service(const std::string& spec) {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n" + spec;
}

TEST(ManifestService, DefaultsAsCoreV1) {
  Service s = parse_one<Service>(service("  selector: {app: web}\n  ports:\n  - port: 80\n"));
  EXPECT_EQ(s.spec.type, "ClusterIP");
  EXPECT_EQ(s.spec.session_affinity, "None");
  EXPECT_EQ(s.spec.ports[0].protocol, "TCP");
  EXPECT_EQ(s.spec.ports[0].target_port, IntOrString::from_int(80)) << "targetPort defaults to port";
  EXPECT_EQ(s.spec.internal_traffic_policy, "Cluster");
  EXPECT_EQ(s.spec.external_traffic_policy, "") << "only externally reachable Services get one";
  Service lb =
      parse_one<Service>(service("  type: LoadBalancer\n  sessionAffinity: ClientIP\n  ports:\n  - port: 80\n"
                                 "    targetPort: http\n    nodePort: 30080\n"));
  EXPECT_EQ(lb.spec.session_affinity_config->client_ip->timeout_seconds, 10800);
  EXPECT_EQ(lb.spec.external_traffic_policy, "Cluster");
  EXPECT_EQ(lb.spec.allocate_load_balancer_node_ports, true);
  EXPECT_EQ(lb.spec.ports[0].node_port, 30080);
  Service headless = parse_one<Service>(service("  clusterIP: None\n  selector: {app: web}\n"));
  EXPECT_EQ(headless.spec.cluster_ip, "None");
  Service ext = parse_one<Service>(service("  type: ExternalName\n  externalName: db.example.com\n"));
  EXPECT_TRUE(ext.spec.ip_families.empty());
}

TEST(ManifestService, Validation) {
  std::string e =
      errors_of(service("  type: ClusterIP\n  ports:\n  - {port: 80, nodePort: 30001}\n  - {port: 0, name: "
                        "b, targetPort: 'no_such'}\n"
                        "  - {port: 81, name: b}\n  externalTrafficPolicy: Local\n"));
  EXPECT_TRUE(has(e, "spec.ports[0].name: Required value")) << e;
  EXPECT_TRUE(has(e, "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'")) << e;
  EXPECT_TRUE(has(e, "spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive")) << e;
  EXPECT_TRUE(has(e, "spec.ports[1].targetPort: Invalid value: \"no_such\"")) << e;
  EXPECT_TRUE(has(e, "spec.ports[2].name: Duplicate value: \"b\"")) << e;
  EXPECT_TRUE(
      has(e,
          "spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set for externally-accessible "
          "services"))
      << e;
  e = errors_of(service("  type: NodePort\n  ports:\n  - {port: 80, nodePort: 80}\n"));
  EXPECT_TRUE(
      has(e,
          "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range "
          "of valid ports is 30000-32767"))
      << e;
  e =
      errors_of(service("  type: Magic\n  ports: [{port: 80}]\n  sessionAffinity: ClientIP\n"
                        "  sessionAffinityConfig: {clientIP: {timeoutSeconds: 100000}}\n"));
  EXPECT_TRUE(has(e, "spec.type: Unsupported value: \"Magic\"")) << e;
  EXPECT_TRUE(has(e, "timeoutSeconds: Invalid value: 100000: must be greater than 0 and less than 86400"))
      << e;
  EXPECT_TRUE(has(errors_of(service("  selector: {app: web}\n")), "spec.ports: Required value"));
  EXPECT_TRUE(
      has(errors_of("apiVersion: v1\nkind: Service\nmetadata: {name: 1web}\nspec: {ports: [{port: 80}]}\n"),
          "a DNS-1035 label must consist of lower case alphanumeric characters"));
  EXPECT_TRUE(has(errors_of(service("  ports: [{port: 80}]\n  loadBalancerSourceRanges: [10.0.0.0/8]\n")),
                  "spec.loadBalancerSourceRanges: not supported"));
}

std::string hpa(const std::string& spec, const std::string& api = "autoscaling/v2") {
  return "apiVersion: " + api +
         "\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec:\n"
         "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n" +
         spec;
}

TEST(ManifestHpa, DefaultsAsAutoscalingV2) {
  HorizontalPodAutoscaler h = parse_one<HorizontalPodAutoscaler>(hpa("  maxReplicas: 5\n"));
  EXPECT_EQ(h.spec.min_replicas, 1);
  ASSERT_EQ(h.spec.metrics.size(), 1u);
  EXPECT_EQ(h.spec.metrics[0].resource->name, "cpu");
  EXPECT_EQ(h.spec.metrics[0].resource->target.average_utilization, 80);
  EXPECT_FALSE(h.spec.behavior.has_value()) << "behavior is filled only when given";
  h =
      parse_one<HorizontalPodAutoscaler>(hpa("  maxReplicas: 5\n  behavior:\n    scaleDown:\n"
                                             "      stabilizationWindowSeconds: 60\n"));
  const auto& up = *h.spec.behavior->scale_up;
  EXPECT_EQ(up.stabilization_window_seconds, 0);
  EXPECT_EQ(up.select_policy, "Max");
  ASSERT_EQ(up.policies.size(), 2u);
  EXPECT_EQ(up.policies[0], (HPAScalingPolicy{"Pods", 4, 15}));
  EXPECT_EQ(up.policies[1], (HPAScalingPolicy{"Percent", 100, 15}));
  const auto& down = *h.spec.behavior->scale_down;
  EXPECT_EQ(down.stabilization_window_seconds, 60);
  EXPECT_EQ(down.select_policy, "Max");
  ASSERT_EQ(down.policies.size(), 1u);
  EXPECT_EQ(down.policies[0], (HPAScalingPolicy{"Percent", 100, 15}));
}

TEST(ManifestHpa, V1ConvertsToV2) {
  HorizontalPodAutoscaler h = parse_one<HorizontalPodAutoscaler>(
      hpa("  minReplicas: 2\n  maxReplicas: 6\n  targetCPUUtilizationPercentage: 65\n", "autoscaling/v1"));
  EXPECT_EQ(h.spec.min_replicas, 2);
  ASSERT_EQ(h.spec.metrics.size(), 1u);
  EXPECT_EQ(h.spec.metrics[0].type, "Resource");
  EXPECT_EQ(h.spec.metrics[0].resource->target.type, "Utilization");
  EXPECT_EQ(h.spec.metrics[0].resource->target.average_utilization, 65);
  EXPECT_EQ(to_json(h)["apiVersion"], "autoscaling/v2");
  EXPECT_TRUE(has(errors_of(hpa("  maxReplicas: 2\n  metrics: []\n", "autoscaling/v1")),
                  "spec.metrics: unknown field \"metrics\""));
}

TEST(ManifestHpa, Validation) {
  std::string e = errors_of(hpa("  minReplicas: 3\n  maxReplicas: 2\n"));
  EXPECT_TRUE(has(e, "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"))
      << e;
  e = errors_of(hpa("  minReplicas: 0\n  maxReplicas: 2\n"));
  EXPECT_TRUE(has(e, "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1")) << e;
  for (std::string type : {"Pods", "Object", "External", "ContainerResource"}) {
    e = errors_of(hpa("  maxReplicas: 2\n  metrics:\n  - type: " + type + "\n"));
    EXPECT_TRUE(has(e, "spec.metrics[0].type: not supported on one host: metric type \"" + type + "\"")) << e;
  }
  e = errors_of(
      hpa("  maxReplicas: 2\n  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n"
          "      target: {type: Utilization}\n  - type: Resource\n    resource:\n      name: memory\n"
          "      target: {type: AverageValue, averageValue: 0}\n  - type: Resource\n    resource:\n"
          "      name: gpu\n      target: {type: Value, value: 1}\n"));
  EXPECT_TRUE(has(e, "metrics[0].resource.target.averageUtilization: Required value")) << e;
  EXPECT_TRUE(has(e, "metrics[1].resource.target.averageValue: Invalid value: \"0\": must be positive")) << e;
  EXPECT_TRUE(has(e, "metrics[2].resource.name: not supported on one host")) << e;
  EXPECT_TRUE(has(e, "metrics[2].resource.target.type: Invalid value: \"Value\"")) << e;
  e =
      errors_of(hpa("  maxReplicas: 2\n  behavior:\n    scaleUp:\n      selectPolicy: Most\n"
                    "      stabilizationWindowSeconds: 4000\n      policies: [{type: Pods, value: 0, "
                    "periodSeconds: 0}]\n"));
  EXPECT_TRUE(has(e, "scaleUp.selectPolicy: Unsupported value: \"Most\"")) << e;
  EXPECT_TRUE(has(e, "scaleUp.stabilizationWindowSeconds: Invalid value: 4000")) << e;
  EXPECT_TRUE(has(e, "scaleUp.policies[0].value: Invalid value: 0: must be greater than zero")) << e;
  EXPECT_TRUE(has(e, "scaleUp.policies[0].periodSeconds: Invalid value: 0")) << e;
  HorizontalPodAutoscaler ok = parse_one<HorizontalPodAutoscaler>(
      hpa("  maxReplicas: 4\n  metrics:\n  - type: Resource\n    resource:\n      name: memory\n"
          "      target: {type: AverageValue, averageValue: 100Mi}\n"));
  EXPECT_EQ(ok.spec.metrics[0].resource->target.average_value->str(), "100Mi");
}

}  // namespace
}  // namespace skiff::manifest
