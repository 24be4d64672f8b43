// describe_pod_container and its parts: env as the kubelet resolves it, the kubelet's resource
// formulas, the security context merge and runAsNonRoot, namespaces, mounts and annotations.
#include "launcher/pod_container.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

#include "launcher/pod_resources.hpp"
#include "manifest/manifest.hpp"
#include "test_util.hpp"

namespace skiff::launcher {
namespace {

using image::test::TempDir;
using manifest::ConfigMap;
using manifest::Pod;
using manifest::Secret;

manifest::Object parse_one(const std::string& yaml) {
  auto r = manifest::parse_manifests(yaml);
  if (!r.ok()) ADD_FAILURE() << r.error_text();
  return r.objects.at(0).object;
}

Pod parse_pod(const std::string& spec_yaml) {
  std::string doc =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-0\n  namespace: shop\n  uid: 1234-abcd\n"
      "  labels:\n    app: web\nspec:\n" +
      spec_yaml;
  auto pod = std::get<Pod>(parse_one(doc));
  pod.metadata.uid = "1234-abcd";
  return pod;
}

std::string value_of(const EnvList& env, const std::string& name) {
  for (const auto& [k, v] : env)
    if (k == name) return v;
  return "<unset>";
}

class PodEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ConfigMap cm;
    cm.metadata.name = "cfg";
    cm.metadata.namespace_ = "shop";
    cm.data = {{"mode", "fast"}, {"LEVEL", "3"}, {"bad=key", "x"}};
    config_maps_["cfg"] = cm;
    Secret s;
    s.metadata.name = "creds";
    s.metadata.namespace_ = "shop";
    s.data = {{"password", {"hunter2"}}};
    secrets_["creds"] = s;
    sources_.config_map = [this](const std::string& ns, const std::string& name) -> std::optional<ConfigMap> {
      auto it = config_maps_.find(name);
      if (ns != "shop" || it == config_maps_.end()) return std::nullopt;
      return it->second;
    };
    sources_.secret = [this](const std::string& ns, const std::string& name) -> std::optional<Secret> {
      auto it = secrets_.find(name);
      if (ns != "shop" || it == secrets_.end()) return std::nullopt;
      return it->second;
    };
    facts_ = {"10.88.0.7", "192.168.1.2", "edge-1", 2000, int64_t{4} << 30};
  }
  EnvList env(const Pod& pod, std::vector<std::string>* warnings = nullptr) {
    return resolve_container_env(pod, pod.spec.containers.at(0), facts_, sources_, warnings);
  }
  std::map<std::string, ConfigMap> config_maps_;
  std::map<std::string, Secret> secrets_;
  ConfigSources sources_;
  PodRuntimeFacts facts_;
};

TEST_F(PodEnvTest, ValuesExpandFromWhatIsDefinedBefore) {
  auto pod = parse_pod(R"y(  containers:
  - name: app
    image: fixture
    env:
    - {name: A, value: one}
    - {name: B, value: "$(A)-two"}
    - {name: C, value: "$(D) $$(A) $(A"}
    - {name: D, value: late}
)y");
  auto e = env(pod);
  EXPECT_EQ(value_of(e, "B"), "one-two");
  EXPECT_EQ(value_of(e, "C"), "$(D) $(A) $(A");
}

TEST_F(PodEnvTest, KeyRefsFieldRefsAndResourceRefs) {
  auto pod = parse_pod(R"(  containers:
  - name: app
    image: fixture
    resources:
      limits: {cpu: 500m, memory: 128Mi}
    env:
    - name: MODE
      valueFrom: {configMapKeyRef: {name: cfg, key: mode}}
    - name: PASS
      valueFrom: {secretKeyRef: {name: creds, key: password}}
    - name: POD
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: NS
      valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
    - name: UID
      valueFrom: {fieldRef: {fieldPath: metadata.uid}}
    - name: IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    - name: HOST
      valueFrom: {fieldRef: {fieldPath: status.hostIP}}
    - name: NODE
      valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
    - name: APP
      valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}
    - name: CPU
      valueFrom: {resourceFieldRef: {resource: limits.cpu}}
    - name: MEM_MI
      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}
)");
  auto e = env(pod);
  EXPECT_EQ(value_of(e, "MODE"), "fast");
  EXPECT_EQ(value_of(e, "PASS"), "hunter2");
  EXPECT_EQ(value_of(e, "POD"), "web-0");
  EXPECT_EQ(value_of(e, "NS"), "shop");
  EXPECT_EQ(value_of(e, "UID"), "1234-abcd");
  EXPECT_EQ(value_of(e, "IP"), "10.88.0.7");
  EXPECT_EQ(value_of(e, "HOST"), "192.168.1.2");
  EXPECT_EQ(value_of(e, "NODE"), "edge-1");
  EXPECT_EQ(value_of(e, "APP"), "web");
  EXPECT_EQ(value_of(e, "CPU"), "1");  // 500m rounded up to whole CPUs
  EXPECT_EQ(value_of(e, "MEM_MI"), "128");
}

TEST_F(PodEnvTest, MissingSourcesAreConfigErrorsUnlessOptional) {
  auto missing_key = parse_pod(R"(  containers:
  - name: app
    image: fixture
    env:
    - name: X
      valueFrom: {configMapKeyRef: {name: cfg, key: nope}}
)");
  try {
    env(missing_key);
    FAIL() << "no error";
  } catch (const ContainerConfigError& e) {
    EXPECT_STREQ(e.what(), "couldn't find key nope in ConfigMap shop/cfg");
  }
  auto missing_map = parse_pod(R"(  containers:
  - name: app
    image: fixture
    envFrom:
    - configMapRef: {name: later}
)");
  try {
    env(missing_map);
    FAIL() << "no error";
  } catch (const ContainerConfigError& e) {
    EXPECT_STREQ(e.what(), "configmap \"later\" not found");
  }
  auto optional = parse_pod(R"(  containers:
  - name: app
    image: fixture
    envFrom:
    - configMapRef: {name: later, optional: true}
    env:
    - name: X
      valueFrom: {secretKeyRef: {name: creds, key: nope, optional: true}}
    - name: YV
      valueFrom: {secretKeyRef: {name: gone, key: k, optional: true}}
)");
  auto e = env(optional);
  EXPECT_EQ(value_of(e, "X"), "<unset>");
  EXPECT_EQ(value_of(e, "YV"), "<unset>");
  // The ConfigMap appears: the same container now resolves (the agent retries on its change).
  config_maps_["later"] = config_maps_["cfg"];
  EXPECT_EQ(value_of(env(missing_map), "mode"), "fast");
}

TEST_F(PodEnvTest, EnvFromWithPrefixInvalidKeysSkippedEnvWins) {
  auto pod = parse_pod(R"(  containers:
  - name: app
    image: fixture
    envFrom:
    - configMapRef: {name: cfg}
      prefix: CFG_
    - secretRef: {name: creds}
    env:
    - {name: CFG_LEVEL, value: "9"}
)");
  std::vector<std::string> warnings;
  auto e = env(pod, &warnings);
  EXPECT_EQ(value_of(e, "CFG_mode"), "fast");
  EXPECT_EQ(value_of(e, "CFG_LEVEL"), "9");
  EXPECT_EQ(value_of(e, "password"), "hunter2");
  EXPECT_EQ(value_of(e, "CFG_bad=key"), "<unset>");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("CFG_bad=key"), std::string::npos);
  EXPECT_EQ(std::count_if(e.begin(), e.end(), [](const auto& kv) { return kv.first == "CFG_LEVEL"; }), 1);
}

TEST(PodResourcesTest, TheKubeletsFormulas) {
  EXPECT_EQ(milli_cpu_to_shares(0), 2u);
  EXPECT_EQ(milli_cpu_to_shares(1), 2u);
  EXPECT_EQ(milli_cpu_to_shares(250), 256u);
  EXPECT_EQ(milli_cpu_to_shares(1000), 1024u);
  EXPECT_EQ(milli_cpu_to_shares(1000000), 262144u);
  EXPECT_EQ(milli_cpu_to_quota(0, 100000), 0);
  EXPECT_EQ(milli_cpu_to_quota(5, 100000), 1000);
  EXPECT_EQ(milli_cpu_to_quota(1500, 100000), 150000);
}

TEST(PodResourcesTest, RequestsAndLimitsToRuntimeResources) {
  auto pod = parse_pod(R"(  containers:
  - name: a
    image: fixture
    resources:
      requests: {cpu: 250m, memory: 64Mi}
      limits: {cpu: 500m, memory: 128Mi}
  - name: b
    image: fixture
  - name: c
    image: fixture
    resources:
      limits: {cpu: "2"}
)");
  auto a = container_resources(pod.spec.containers[0]);
  EXPECT_EQ(a.cpu_shares, 256u);
  EXPECT_EQ(a.cpu_quota, 50000);
  EXPECT_EQ(a.cpu_period, 100000u);
  EXPECT_EQ(a.memory_limit, 128 << 20);
  auto b = container_resources(pod.spec.containers[1]);
  EXPECT_EQ(b.cpu_shares, 2u);
  EXPECT_FALSE(b.cpu_quota);
  EXPECT_FALSE(b.memory_limit);
  auto c = container_resources(pod.spec.containers[2]);
  EXPECT_EQ(c.cpu_shares, 2048u);  // the request defaults to the limit
  EXPECT_EQ(c.cpu_quota, 200000);
}

TEST(PodResourcesTest, OomScoreByQosClass) {
  int64_t capacity = int64_t{4} << 30;
  auto guaranteed = parse_pod(R"(  containers:
  - name: a
    image: fixture
    resources:
      limits: {cpu: 500m, memory: 1Gi}
)");
  EXPECT_EQ(container_oom_score_adj(guaranteed, guaranteed.spec.containers[0], capacity), -997);
  auto best_effort = parse_pod("  containers:\n  - name: a\n    image: fixture\n");
  EXPECT_EQ(container_oom_score_adj(best_effort, best_effort.spec.containers[0], capacity), 1000);
  auto burstable = parse_pod(R"(  containers:
  - name: a
    image: fixture
    resources:
      requests: {memory: 1Gi}
  - name: b
    image: fixture
    resources:
      requests: {cpu: 100m}
)");
  EXPECT_EQ(container_oom_score_adj(burstable, burstable.spec.containers[0], capacity), 750);
  EXPECT_EQ(container_oom_score_adj(burstable, burstable.spec.containers[1], capacity), 999);
}

class DescribePodContainerTest : public PodEnvTest {
 protected:
  void SetUp() override {
    PodEnvTest::SetUp();
    ::mkdir((vols_ / "data").c_str(), 0770);
    ::chmod((vols_ / "data").c_str(), 0770);
    ::mkdir((vols_ / "cfg").c_str(), 0755);
    view_.facts = facts_;
    view_.netns_path = "/run/pods/1234-abcd/ns/net";
    view_.ipcns_path = "/run/pods/1234-abcd/ns/ipc";
    view_.utsns_path = "/run/pods/1234-abcd/ns/uts";
    view_.hosts_file = "/run/pods/1234-abcd/hosts";
    view_.resolv_conf = "/run/pods/1234-abcd/resolv.conf";
    view_.volumes = {{"data", {vols_ / "data", false}}, {"cfg", {vols_ / "cfg", true}}};
    view_.seccomp_root = "/var/lib/skiff/seccomp";
    view_.node_hostname = "edge-1";
    image_.entrypoint = {"/bin/httpd"};
    image_.env = {"PATH=/bin"};
  }
  ContainerDescription describe(const Pod& pod, size_t i = 0) {
    return describe_pod_container({pod, pod.spec.containers.at(i), 2}, image_, view_, sources_, nullptr);
  }
  std::string config_error(const Pod& pod) {
    try {
      describe(pod);
    } catch (const ContainerConfigError& e) {
      return e.what();
    }
    return "<none>";
  }
  TempDir vols_;
  PodSandboxView view_;
  image::ImageConfig image_;
};

TEST_F(DescribePodContainerTest, CommandArgsExpandedFromTheContainersEnv) {
  auto pod = parse_pod(R"y(  containers:
  - name: app
    image: fixture
    command: [/bin/sh, -c]
    args: ["echo $(GREETING) $(MISSING)"]
    workingDir: /work
    env:
    - {name: GREETING, value: hello}
)y");
  auto d = describe(pod);
  ASSERT_TRUE(d.command);
  EXPECT_EQ(*d.command, (std::vector<std::string>{"/bin/sh", "-c"}));
  EXPECT_EQ(d.args, std::vector<std::string>{"echo hello $(MISSING)"});
  EXPECT_EQ(d.working_dir, "/work");
}

TEST_F(DescribePodContainerTest, SecurityContextMergedContainerOverPod) {
  auto pod = parse_pod(R"(  securityContext:
    runAsUser: 1000
    runAsGroup: 1000
    supplementalGroups: [3000]
    fsGroup: 2000
    seccompProfile: {type: Unconfined}
  containers:
  - name: app
    image: fixture
    securityContext:
      runAsUser: 1001
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      capabilities: {add: [NET_ADMIN], drop: [ALL]}
  - name: local
    image: fixture
    securityContext:
      seccompProfile: {type: Localhost, localhostProfile: profiles/audit.json}
)");
  auto d = describe(pod);
  EXPECT_EQ(d.run_as_user, 1001);
  EXPECT_EQ(d.run_as_group, 1000);
  EXPECT_EQ(d.supplemental_groups, (std::vector<int64_t>{3000, 2000}));
  EXPECT_TRUE(d.read_only_root);
  EXPECT_TRUE(d.no_new_privileges);
  EXPECT_EQ(d.cap_add, std::vector<std::string>{"NET_ADMIN"});
  EXPECT_EQ(d.cap_drop, std::vector<std::string>{"ALL"});
  EXPECT_EQ(d.seccomp, SeccompMode::unconfined);
  auto local = describe(pod, 1);
  EXPECT_EQ(local.seccomp, SeccompMode::profile_file);
  EXPECT_EQ(local.seccomp_profile, "/var/lib/skiff/seccomp/profiles/audit.json");
  EXPECT_FALSE(local.no_new_privileges);  // allowPrivilegeEscalation unset
  auto plain = parse_pod("  containers:\n  - name: a\n    image: fixture\n");
  EXPECT_EQ(describe(plain).seccomp, SeccompMode::runtime_default);
}

TEST_F(DescribePodContainerTest, RunAsNonRootAgainstTheImage) {
  auto pod = parse_pod(R"(  securityContext:
    runAsNonRoot: true
  containers:
  - name: app
    image: fixture
)");
  EXPECT_EQ(config_error(pod),
            "container has runAsNonRoot and image will run as root (pod: \"web-0_shop(1234-abcd)\", "
            "container: app)");
  image_.user = "nobody";
  EXPECT_EQ(
      config_error(pod),
      "container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root "
      "(pod: \"web-0_shop(1234-abcd)\", container: app)");
  image_.user = "65534:65534";
  EXPECT_EQ(config_error(pod), "<none>");
  pod.spec.security_context->run_as_user = 0;
  EXPECT_EQ(config_error(pod),
            "container's runAsUser breaks non-root policy (pod: \"web-0_shop(1234-abcd)\", container: app)");
}

TEST_F(DescribePodContainerTest, SandboxNamespacesHostnameAndHostNetwork) {
  auto pod = parse_pod("  hostname: shop-web\n  containers:\n  - name: a\n    image: fixture\n");
  auto d = describe(pod);
  EXPECT_EQ(d.hostname, "shop-web");
  EXPECT_EQ(d.namespaces,
            (std::vector<Namespace>{
                {"network", view_.netns_path}, {"uts", view_.utsns_path}, {"ipc", view_.ipcns_path}}));
  EXPECT_TRUE(d.host_namespaces.empty());
  pod.spec.host_network = true;
  d = describe(pod);
  EXPECT_EQ(d.hostname, "edge-1");
  EXPECT_EQ(d.namespaces, (std::vector<Namespace>{{"ipc", view_.ipcns_path}}));
  EXPECT_EQ(d.host_namespaces, (std::vector<std::string>{"network", "uts"}));
}

TEST_F(DescribePodContainerTest, HostsResolvConfAndVolumeMounts) {
  auto pod = parse_pod(R"(  volumes:
  - name: data
    emptyDir: {}
  - name: cfg
    configMap: {name: cfg}
  containers:
  - name: app
    image: fixture
    volumeMounts:
    - {name: data, mountPath: /data}
    - {name: data, mountPath: /logs, subPath: app/logs, readOnly: true}
    - {name: cfg, mountPath: /etc/app}
)");
  auto d = describe(pod);
  ASSERT_EQ(d.mounts.size(), 5u);
  EXPECT_EQ(d.mounts[0], (Mount{"/etc/hosts", "bind", view_.hosts_file, {"rbind", "rprivate"}}));
  EXPECT_EQ(d.mounts[1].destination, "/etc/resolv.conf");
  EXPECT_EQ(d.mounts[2], (Mount{"/data", "bind", vols_ / "data", {"rbind", "rprivate"}}));
  EXPECT_EQ(d.mounts[3], (Mount{"/logs", "bind", vols_ / "data/app/logs", {"rbind", "rprivate", "ro"}}));
  struct stat st {};
  ASSERT_EQ(::stat((vols_ / "data/app/logs").c_str(), &st), 0) << "subPath made";
  EXPECT_EQ(st.st_mode & 07777, 0770u) << "with the volume's mode";
  EXPECT_EQ(d.mounts[4], (Mount{"/etc/app", "bind", vols_ / "cfg", {"rbind", "rprivate", "ro"}}));
}

TEST_F(DescribePodContainerTest, SubPathThatLeavesItsVolumeIsRefused) {
  ASSERT_EQ(::symlink("/etc", (vols_ / "data/escape").c_str()), 0);
  auto pod = parse_pod(R"(  volumes:
  - name: data
    emptyDir: {}
  containers:
  - name: app
    image: fixture
    volumeMounts:
    - {name: data, mountPath: /x, subPath: escape}
)");
  EXPECT_EQ(config_error(pod),
            "subPath \"escape\" of volumeMount \"data\" of container \"app\" leaves its volume");
}

TEST_F(DescribePodContainerTest, ResourcesOomScoreFloorAndAnnotations) {
  auto pod = parse_pod(R"(  containers:
  - name: app
    image: fixture
    resources:
      limits: {cpu: 250m, memory: 64Mi}
)");
  view_.min_oom_score_adj = 0;
  auto d = describe(pod);
  EXPECT_EQ(d.resources.cpu_shares, 256u);
  EXPECT_EQ(d.resources.cpu_quota, 25000);
  EXPECT_EQ(d.resources.memory_limit, 64 << 20);
  EXPECT_EQ(d.oom_score_adj, 0) << "Guaranteed's -997 raised to what the runtime can set";
  EXPECT_EQ(d.annotations.at("io.kubernetes.pod.name"), "web-0");
  EXPECT_EQ(d.annotations.at("io.kubernetes.pod.namespace"), "shop");
  EXPECT_EQ(d.annotations.at("io.kubernetes.pod.uid"), "1234-abcd");
  EXPECT_EQ(d.annotations.at("io.kubernetes.container.name"), "app");
  EXPECT_EQ(d.annotations.at("io.skiff.attempt"), "2");
}

}  // namespace
}  // namespace skiff::launcher
