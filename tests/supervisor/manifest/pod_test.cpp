// Pods: Kubernetes' defaults (pkg/apis/core/v1/defaults.go) and validation messages, strict fields,
// the table of warned and unsupported fields, error positions.
#include <gtest/gtest.h>

#include "manifest/qos.hpp"
#include "manifest_test_util.hpp"

namespace skiff::manifest {
namespace {

using test::errors_of;
using test::parse;
using test::parse_one;
using test::pod_yaml;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ManifestPod, DefaultsAsKubernetes) {
  Pod p = parse_one<Pod>(pod_yaml(
      "    ports:\n    - containerPort: 80\n    env:\n    - name: NAME\n      valueFrom:\n        fieldRef:\n"
      "          fieldPath: metadata.name\n    resources:\n      limits:\n        cpu: 500m\n        memory: "
      "64Mi\n",
      "  volumes:\n  - name: v\n  - name: cm\n    configMap:\n      name: x\n  - name: s\n    secret:\n"
      "      secretName: sec\n  - name: h\n    hostPath:\n      path: /tmp\n"));
  EXPECT_EQ(p.metadata.namespace_, "default");
  EXPECT_EQ(p.spec.restart_policy, "Always");
  EXPECT_EQ(p.spec.dns_policy, "ClusterFirst");
  EXPECT_EQ(p.spec.termination_grace_period_seconds, 30);
  EXPECT_TRUE(p.spec.security_context.has_value());
  EXPECT_EQ(p.spec.enable_service_links, true);
  const Container& c = p.spec.containers[0];
  EXPECT_EQ(c.image_pull_policy, "IfNotPresent");
  EXPECT_EQ(c.termination_message_path, "/dev/termination-log");
  EXPECT_EQ(c.termination_message_policy, "File");
  EXPECT_EQ(c.ports[0].protocol, "TCP");
  EXPECT_EQ(c.env[0].value_from->field_ref->api_version, "v1");
  // SetDefaults_Pod: requests default to limits
  EXPECT_EQ(c.resources.requests.at("cpu").str(), "500m");
  EXPECT_EQ(c.resources.requests.at("memory").str(), "64Mi");
  ASSERT_EQ(p.spec.volumes.size(), 4u);
  EXPECT_TRUE(p.spec.volumes[0].empty_dir.has_value()) << "a volume without a source is an emptyDir";
  EXPECT_EQ(p.spec.volumes[1].config_map->default_mode, 420);
  EXPECT_EQ(p.spec.volumes[2].secret->default_mode, 420);
  EXPECT_EQ(p.spec.volumes[3].host_path->type, "");
}

TEST(ManifestPod, ImagePullPolicyDefault) {
  EXPECT_EQ(parse_one<Pod>(pod_yaml()).spec.containers[0].image_pull_policy, "IfNotPresent");
  std::string y =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: busybox}\n"
      "  - {name: b, image: 'busybox:latest'}\n  - {name: c, image: 'reg:5000/x@sha256:00'}\n"
      "  - {name: d, image: busybox, imagePullPolicy: Never}\n";
  Pod p = parse_one<Pod>(y);
  EXPECT_EQ(p.spec.containers[0].image_pull_policy, "Always");
  EXPECT_EQ(p.spec.containers[1].image_pull_policy, "Always");
  EXPECT_EQ(p.spec.containers[2].image_pull_policy, "IfNotPresent");
  EXPECT_EQ(p.spec.containers[3].image_pull_policy, "Never");
}

TEST(ManifestPod, HostNetworkDefaultsHostPorts) {
  Pod p = parse_one<Pod>(pod_yaml("    ports:\n    - containerPort: 8080\n", "  hostNetwork: true\n"));
  EXPECT_EQ(p.spec.containers[0].ports[0].host_port, 8080);
  EXPECT_TRUE(has(errors_of(pod_yaml("    ports:\n    - containerPort: 8080\n      hostPort: 9090\n",
                                     "  hostNetwork: true\n")),
                  "must match `containerPort` when `hostNetwork` is true"));
}

TEST(ManifestPod, ResourcesRoundUpToMilliAndLimitsAboveRequests) {
  Pod p =
      parse_one<Pod>(pod_yaml("    resources:\n      requests:\n        cpu: 0.0001\n        memory: 1e3\n"));
  EXPECT_EQ(p.spec.containers[0].resources.requests.at("cpu").str(), "1m");
  EXPECT_EQ(p.spec.containers[0].resources.requests.at("memory").str(), "1k")
      << "YAML's 1e3 is the float 1000, i.e. the quantity 1k";
  std::string e =
      errors_of(pod_yaml("    resources:\n      requests:\n        cpu: 2\n      limits:\n        cpu: 1\n"));
  EXPECT_TRUE(
      has(e,
          "spec.containers[0].resources.requests[cpu]: Invalid value: \"2\": must be less than or equal "
          "to cpu limit of 1"))
      << e;
  e = errors_of(pod_yaml("    resources:\n      requests:\n        cpu: -1\n"));
  EXPECT_TRUE(has(e, "must be greater than or equal to 0")) << e;
  e = errors_of(pod_yaml("    resources:\n      limits:\n        nvidia.com/gpu: 1\n"));
  EXPECT_TRUE(has(e, "resources.limits[nvidia.com/gpu]: not supported")) << e;
  e = errors_of(pod_yaml("    resources:\n      limits:\n        cpu: 1K\n"));
  EXPECT_TRUE(has(e, "unable to parse quantity's suffix")) << e;
}

TEST(ManifestPod, PortValidationWithPosition) {
  std::string e = errors_of(pod_yaml("    ports:\n    - containerPort: 70000\n"));
  EXPECT_TRUE(has(e,
                  "t.yaml:10:22: spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be "
                  "between 1 and 65535, inclusive"))
      << e;
  e =
      errors_of(pod_yaml("    ports:\n    - containerPort: 80\n      name: http\n    - containerPort: 81\n"
                         "      name: http\n      protocol: tcp\n"));
  EXPECT_TRUE(has(e, "spec.containers[0].ports[1].name: Duplicate value: \"http\"")) << e;
  EXPECT_TRUE(
      has(e, "ports[1].protocol: Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\""))
      << e;
  e = errors_of(pod_yaml("    ports:\n    - containerPort: 80\n      name: HTTP_1\n"));
  EXPECT_TRUE(has(e, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")) << e;
  e = errors_of(pod_yaml("    ports:\n    - name: x\n"));
  EXPECT_TRUE(has(e, "ports[0].containerPort: Required value")) << e;
}

TEST(ManifestPod, NamesAndUniqueness) {
  std::string y =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\nspec:\n  initContainers:\n"
      "  - {name: c, image: busybox:1}\n  containers:\n  - {name: c, image: busybox:1}\n"
      "  - {name: Upper, image: ''}\n";
  std::string e = errors_of(y);
  EXPECT_TRUE(
      has(e, "t.yaml:4:9: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain"))
      << e;
  EXPECT_TRUE(has(e, "spec.containers[0].name: Duplicate value: \"c\"")) << e;
  EXPECT_TRUE(has(e, "spec.containers[1].name: Invalid value: \"Upper\": a lowercase RFC 1123 label")) << e;
  EXPECT_TRUE(has(e, "spec.containers[1].image: Required value")) << e;
  EXPECT_TRUE(has(errors_of("apiVersion: v1\nkind: Pod\nmetadata: {}\nspec:\n  containers: []\n"),
                  "metadata.name: Required value: name or generateName is required"));
  EXPECT_TRUE(has(errors_of("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n"),
                  "spec.containers: Required value"));
}

TEST(ManifestPod, VolumesAndMounts) {
  std::string e = errors_of(pod_yaml(
      "    volumeMounts:\n    - {name: nope, mountPath: /a}\n    - {name: v, mountPath: /a, subPath: ../x}\n"
      "    - {name: v, mountPath: /b, subPath: /abs}\n",
      "  volumes:\n  - name: v\n  - name: v\n  - name: w\n    emptyDir: {}\n    hostPath: {path: /x}\n"
      "  - name: cm\n    configMap:\n      name: c\n      defaultMode: 01000\n      items:\n      - {key: k, "
      "path: ../p}\n"));
  EXPECT_TRUE(has(e, "spec.containers[0].volumeMounts[0].name: Not found: \"nope\"")) << e;
  EXPECT_TRUE(has(e, "volumeMounts[1].mountPath: Invalid value: \"/a\": must be unique")) << e;
  EXPECT_TRUE(has(e, "volumeMounts[1].subPath: Invalid value: \"../x\": must not contain '..'")) << e;
  EXPECT_TRUE(has(e, "volumeMounts[2].subPath: Invalid value: \"/abs\": must be a relative path")) << e;
  EXPECT_TRUE(has(e, "spec.volumes[1].name: Duplicate value: \"v\"")) << e;
  EXPECT_TRUE(has(e, "spec.volumes[2]: Forbidden: may not specify more than 1 volume type")) << e;
  EXPECT_TRUE(has(e,
                  "spec.volumes[3].configMap.defaultMode: Invalid value: 512: must be a number between 0 and "
                  "0777 (octal), both inclusive"))
      << e;
  EXPECT_TRUE(
      has(e, "spec.volumes[3].configMap.items[0].path: Invalid value: \"../p\": must not contain '..'"))
      << e;
  // a field the decoder refuses stops the object before validation, as the API server's decoding does
  e = errors_of(pod_yaml("", "  volumes:\n  - name: v\n  - name: nf\n    nfs: {server: x, path: /}\n"));
  EXPECT_TRUE(has(e,
                  "t.yaml:9:5: spec.volumes[1].nfs: not supported (supported volume types: emptyDir, "
                  "hostPath, configMap, "
                  "secret, downwardAPI, projected)"))
      << e;
  EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 0) << e;
}

TEST(ManifestPod, EnvAndEnvFrom) {
  std::string e = errors_of(pod_yaml(
      "    env:\n    - name: A=B\n    - name: X\n      value: v\n      valueFrom:\n        configMapKeyRef: "
      "{name: c, key: k}\n"
      "    - name: YV\n      valueFrom:\n        configMapKeyRef: {name: c, key: k}\n        secretKeyRef: "
      "{name: s, key: k}\n"
      "    - name: Z\n      valueFrom:\n        fieldRef: {fieldPath: spec.nope}\n"
      "    - name: R\n      valueFrom:\n        resourceFieldRef: {resource: limits.cpu, divisor: 2}\n"
      "    envFrom:\n    - {}\n    - prefix: 'A='\n      configMapRef: {name: c}\n"));
  EXPECT_TRUE(
      has(e, "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name"))
      << e;
  EXPECT_TRUE(has(e, "env[1].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty"))
      << e;
  EXPECT_TRUE(
      has(e, "env[2].valueFrom: Invalid value: \"\": may not have more than one field specified at a time"))
      << e;
  EXPECT_TRUE(has(e, "env[3].valueFrom.fieldRef.fieldPath: Unsupported value: \"spec.nope\"")) << e;
  EXPECT_TRUE(has(e, "only divisor's values 1m and 1 are supported with the cpu resource")) << e;
  EXPECT_TRUE(has(e, "envFrom[0]: Invalid value: \"\": must specify one of: `configMapRef` or `secretRef`"))
      << e;
  EXPECT_TRUE(has(e, "envFrom[1].prefix: Invalid value: \"A=\"")) << e;
  Pod ok =
      parse_one<Pod>(pod_yaml("    env:\n    - name: L\n      valueFrom:\n        fieldRef:\n"
                              "          fieldPath: metadata.labels['app']\n"));
  EXPECT_EQ(ok.spec.containers[0].env[0].value_from->field_ref->field_path, "metadata.labels['app']");
}

TEST(ManifestPod, SecurityContextRules) {
  std::string e = errors_of(
      pod_yaml("    securityContext:\n      privileged: true\n      allowPrivilegeEscalation: false\n      "
               "runAsUser: -1\n"
               "      seccompProfile: {type: Localhost}\n",
               "  securityContext:\n    seccompProfile: {type: RuntimeDefault, localhostProfile: x.json}\n"));
  EXPECT_TRUE(has(e, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true")) << e;
  EXPECT_TRUE(
      has(e, "securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive"))
      << e;
  EXPECT_TRUE(
      has(e, "seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost"))
      << e;
  EXPECT_TRUE(
      has(e,
          "spec.securityContext.seccompProfile.localhostProfile: Invalid value: \"x.json\": can only be "
          "set when seccomp type is Localhost"))
      << e;
  Pod p =
      parse_one<Pod>(pod_yaml("    securityContext:\n      capabilities: {add: [NET_ADMIN], drop: [ALL]}\n"
                              "      readOnlyRootFilesystem: yes\n      runAsNonRoot: on\n"));
  EXPECT_EQ(p.spec.containers[0].security_context->read_only_root_filesystem, true)
      << "YAML 1.1 `yes` is a boolean where a boolean is expected";
  EXPECT_EQ(p.spec.containers[0].security_context->capabilities->drop[0], "ALL");
}

TEST(ManifestPod, PolicyValues) {
  std::string e = errors_of(pod_yaml("    imagePullPolicy: Sometimes\n    terminationMessagePolicy: X\n",
                                     "  restartPolicy: Sometimes\n  dnsPolicy: Weird\n"));
  EXPECT_TRUE(has(e,
                  "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", "
                  "\"OnFailure\", \"Never\""))
      << e;
  EXPECT_TRUE(has(e, "spec.dnsPolicy: Unsupported value: \"Weird\"")) << e;
  EXPECT_TRUE(has(e,
                  "imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", "
                  "\"IfNotPresent\", \"Never\""))
      << e;
  EXPECT_TRUE(has(e, "terminationMessagePolicy: Unsupported value: \"X\"")) << e;
}

TEST(ManifestPod, StrictFieldsAndTypes) {
  std::string e = errors_of(pod_yaml("    imagee: x\n", "  foo: 1\n"));
  EXPECT_TRUE(has(e, "t.yaml:6:3: spec.foo: unknown field \"foo\"")) << e;
  EXPECT_TRUE(has(e, "t.yaml:10:5: spec.containers[0].imagee: unknown field \"imagee\"")) << e;
  e = errors_of(pod_yaml("    env:\n    - name: PORT\n      value: 8080\n"));
  EXPECT_TRUE(
      has(e,
          "spec.containers[0].env[0].value: Invalid value: 8080: must be a string, not a number (YAML "
          "reads an unquoted number as a number: quote it)"))
      << e;
  e = errors_of(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    a: true\nspec:\n  containers:\n"
      "  - {name: c, image: x}\n");
  EXPECT_TRUE(
      has(e, "t.yaml:6:8: metadata.annotations[a]: Invalid value: true: must be a string, not a boolean"))
      << e;
  e = errors_of(pod_yaml("    stdin: \"yes\"\n"));
  EXPECT_TRUE(has(e, "stdin: Invalid value: \"yes\": must be a boolean, not a string")) << e;
  e = errors_of(pod_yaml("", "  terminationGracePeriodSeconds: 1.5\n"));
  EXPECT_TRUE(has(e, "terminationGracePeriodSeconds: Invalid value: 1.5: must be a whole number")) << e;
}

TEST(ManifestPod, WarnedFieldsAreKeptAndSayWhatTheyMean) {
  ParseResult r = parse(pod_yaml("",
                                 "  affinity:\n    nodeAffinity: {}\n  tolerations: [{key: a}]\n"
                                 "  serviceAccountName: sa\n  priorityClassName: high\n"));
  ASSERT_TRUE(r.ok()) << r.error_text();
  std::string w = test::warnings_of(r);
  EXPECT_TRUE(has(w, "t.yaml:6:3: spec.affinity: accepted, ignored: one node, nothing to place")) << w;
  EXPECT_TRUE(has(w, "spec.tolerations: accepted, ignored")) << w;
  EXPECT_TRUE(has(w, "spec.serviceAccountName: accepted, ignored")) << w;
  EXPECT_TRUE(has(w, "spec.priorityClassName: accepted, ignored")) << w;
  EXPECT_EQ(r.warnings.size(), 4u);
  nlohmann::json j = to_json(r.objects[0].object);
  EXPECT_EQ(j["spec"]["serviceAccountName"], "sa") << "what was applied is what is read back";
  EXPECT_EQ(j["spec"]["tolerations"][0]["key"], "a");
}

TEST(ManifestPod, UnsupportedFieldsNameTheirPath) {
  std::string e = errors_of(pod_yaml("    volumeDevices: []\n", "  ephemeralContainers: []\n"));
  EXPECT_TRUE(has(e, "spec.containers[0].volumeDevices: not supported")) << e;
  EXPECT_TRUE(has(e, "spec.ephemeralContainers: not supported")) << e;
}

TEST(ManifestPod, InitContainersMayNotHaveProbes) {
  std::string y =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainers:\n  - name: i\n"
      "    image: x\n    readinessProbe: {exec: {command: [true]}}\n  containers:\n  - {name: c, image: x}\n";
  EXPECT_TRUE(has(errors_of(y),
                  "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init "
                  "containers"));
}

TEST(ManifestPod, HostPortsUniqueInPod) {
  std::string y =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
      "  - {name: a, image: x, ports: [{containerPort: 80, hostPort: 8080}]}\n"
      "  - {name: b, image: x, ports: [{containerPort: 81, hostPort: 8080}]}\n";
  EXPECT_TRUE(has(errors_of(y), "spec.containers[1].ports[0].hostPort: Duplicate value: \"8080/TCP\""));
}

TEST(ManifestPod, QosClass) {
  EXPECT_EQ(pod_qos_class(parse_one<Pod>(pod_yaml()).spec), "BestEffort");
  // requests default to limits on a Pod: limits alone make it Guaranteed
  EXPECT_EQ(
      pod_qos_class(parse_one<Pod>(pod_yaml("    resources:\n      limits: {cpu: 1, memory: 1Gi}\n")).spec),
      "Guaranteed");
  EXPECT_EQ(pod_qos_class(parse_one<Pod>(pod_yaml("    resources:\n      requests: {cpu: 100m}\n")).spec),
            "Burstable");
  EXPECT_EQ(pod_qos_class(parse_one<Pod>(pod_yaml("    resources:\n      limits: {cpu: 1, memory: 1Gi}\n"
                                                  "      requests: {cpu: 500m}\n"))
                              .spec),
            "Burstable");
}

TEST(ManifestPod, NodeNameIsKept) {
  Pod p = parse_one<Pod>(pod_yaml("", "  nodeName: edge1\n"));
  EXPECT_EQ(p.spec.node_name, "edge1");
  EXPECT_EQ(to_json(p)["spec"]["nodeName"], "edge1");
}

}  // namespace
}  // namespace skiff::manifest
