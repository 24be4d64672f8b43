#include "manifest/field_table.hpp"

#include <array>

namespace skiff::manifest {
namespace {

constexpr auto W = FieldDisposition::warn;
constexpr auto U = FieldDisposition::unsupported;

constexpr std::string_view kVolumeTypes =
    "not supported (supported volume types: emptyDir, hostPath, configMap, secret, downwardAPI, projected)";
constexpr std::string_view kNoCluster = "accepted, ignored: one node, nothing to place";

constexpr FieldRule kRules[] = {
    // Placement and scheduling: there is one node and no scheduler.
    {"PodSpec", "affinity", W, kNoCluster},
    {"PodSpec", "tolerations", W, "accepted, ignored: one node without taints, nothing to tolerate"},
    {"PodSpec", "topologySpreadConstraints", W, "accepted, ignored: one node, nothing to spread over"},
    {"PodSpec", "schedulerName", W, "accepted, ignored: one node, no scheduler"},
    {"PodSpec", "priorityClassName", W, "accepted, ignored: one node, no scheduling priority or preemption"},
    {"PodSpec", "priority", W, "accepted, ignored: one node, no scheduling priority or preemption"},
    {"PodSpec", "preemptionPolicy", W, "accepted, ignored: one node, no preemption"},
    {"PodSpec", "overhead", W, "accepted, ignored: no runtime class overhead is accounted on one node"},
    {"PodSpec", "readinessGates", W, "accepted, ignored: no other controller sets pod conditions here"},
    {"PodSpec", "os", W, "accepted, ignored: this node runs linux"},
    {"PodSpec", "runtimeClassName", W, "accepted, ignored: every container runs with skiff-runtime"},
    // Identity from an API server that is not there.
    {"PodSpec", "serviceAccountName", W,
     "accepted, ignored: no API server, pods get no service account token"},
    {"PodSpec", "serviceAccount", W, "accepted, ignored: no API server, pods get no service account token"},
    {"PodSpec", "automountServiceAccountToken", W, "accepted, ignored: no API server, no token to mount"},
    // Not supported (yet): refusing is better than running something else than asked.
    {"PodSpec", "ephemeralContainers", U,
     "not supported: ephemeral containers are added through the API only"},
    {"PodSpec", "resourceClaims", U, "not supported: no dynamic resource allocation on one host"},
    {"PodSpec", "schedulingGates", U, "not supported: no scheduler lifts scheduling gates on one host"},
    {"PodSpec", "hostUsers", U, "not supported: pods do not get user namespaces yet"},
    {"PodSpec", "resources", U, "not supported: pod-level resources (set them per container)"},
    {"PodSecurityContext", "seLinuxOptions", W,
     "accepted, ignored: SELinux labels are not applied on this host"},
    {"PodSecurityContext", "windowsOptions", W, "accepted, ignored: this node runs linux"},
    {"PodSecurityContext", "appArmorProfile", W, "accepted, ignored: AppArmor profiles are not applied here"},
    {"PodSecurityContext", "seLinuxChangePolicy", W,
     "accepted, ignored: SELinux labels are not applied here"},
    {"PodSecurityContext", "supplementalGroupsPolicy", U,
     "not supported: supplemental groups are merged as in "
     "the default policy (Merge)"},
    {"SecurityContext", "seLinuxOptions", W,
     "accepted, ignored: SELinux labels are not applied on this host"},
    {"SecurityContext", "windowsOptions", W, "accepted, ignored: this node runs linux"},
    {"SecurityContext", "appArmorProfile", W, "accepted, ignored: AppArmor profiles are not applied here"},
    {"SecurityContext", "procMount", U, "not supported: /proc is always masked as procMount Default"},
    {"Container", "restartPolicy", U, "not supported: restartable init containers (sidecars)"},
    {"Container", "volumeDevices", U, "not supported: no block volumes on one host"},
    {"Container", "resizePolicy", W, "accepted, ignored: resources are not resized in place"},
    {"Container", "restartPolicyRules", U, "not supported: per-exit-code container restart rules"},
    {"ObjectMeta", "managedFields", W, "accepted, ignored: no server-side apply field ownership here"},
    {"ObjectMeta", "selfLink", W, "accepted, ignored: deprecated, never set"},
    // Volume sources that need a cluster or a cloud.
    {"Volume", "persistentVolumeClaim", U, kVolumeTypes},
    {"Volume", "nfs", U, kVolumeTypes},
    {"Volume", "csi", U, kVolumeTypes},
    {"Volume", "ephemeral", U, kVolumeTypes},
    {"Volume", "image", U, kVolumeTypes},
    {"Volume", "gitRepo", U, kVolumeTypes},
    {"Volume", "iscsi", U, kVolumeTypes},
    {"Volume", "fc", U, kVolumeTypes},
    {"Volume", "rbd", U, kVolumeTypes},
    {"Volume", "cephfs", U, kVolumeTypes},
    {"Volume", "glusterfs", U, kVolumeTypes},
    {"Volume", "cinder", U, kVolumeTypes},
    {"Volume", "flexVolume", U, kVolumeTypes},
    {"Volume", "flocker", U, kVolumeTypes},
    {"Volume", "awsElasticBlockStore", U, kVolumeTypes},
    {"Volume", "gcePersistentDisk", U, kVolumeTypes},
    {"Volume", "azureDisk", U, kVolumeTypes},
    {"Volume", "azureFile", U, kVolumeTypes},
    {"Volume", "vsphereVolume", U, kVolumeTypes},
    {"Volume", "quobyte", U, kVolumeTypes},
    {"Volume", "photonPersistentDisk", U, kVolumeTypes},
    {"Volume", "portworxVolume", U, kVolumeTypes},
    {"Volume", "scaleIO", U, kVolumeTypes},
    {"Volume", "storageos", U, kVolumeTypes},
    {"VolumeProjection", "serviceAccountToken", U,
     "not supported: no API server issues service account tokens"},
    {"VolumeProjection", "clusterTrustBundle", U, "not supported: no cluster trust bundles on one host"},
    {"VolumeProjection", "podCertificate", U, "not supported: no API server issues pod certificates"},
    {"EnvVarSource", "fileKeyRef", U, "not supported: env from a file in a volume"},
    // Services: the LoadBalancer is this host's own addresses (as k3s's ServiceLB).
    {"ServiceSpec", "loadBalancerIP", W,
     "accepted, ignored: a LoadBalancer is served on this host's addresses"},
    {"ServiceSpec", "loadBalancerClass", W,
     "accepted, ignored: a LoadBalancer is served on this host's addresses"},
    {"ServiceSpec", "healthCheckNodePort", W, "accepted, ignored: no cloud load balancer checks this node"},
    {"ServiceSpec", "trafficDistribution", W, "accepted, ignored: one node, every endpoint is local"},
    {"ServiceSpec", "topologyKeys", W, "accepted, ignored: one node, every endpoint is local"},
    {"ServiceSpec", "loadBalancerSourceRanges", U, "not supported: source ranges are not enforced yet"},
    {"ServiceSpec", "externalIPs", U, "not supported: external IPs are not routed yet"},
    {"HPAScalingRules", "tolerance", U, "not supported: per-rule tolerance (alpha); the tolerance is 0.1"},
    {"HorizontalPodAutoscalerSpec", "selectionStrategy", U, "not supported: alpha pod selection strategies"},
};

struct AnnotationRule {
  std::string_view kind;  // "" for any kind
  std::string_view prefix;
  std::string_view message;
};

constexpr std::string_view kCloudLb =
    "accepted, ignored: a cloud load balancer setting; on one host a LoadBalancer is this host's addresses";

constexpr AnnotationRule kAnnotations[] = {
    {"Service", "service.beta.kubernetes.io/", kCloudLb},
    {"Service", "cloud.google.com/", kCloudLb},
    {"Service", "networking.gke.io/", kCloudLb},
    {"Service", "metallb.universe.tf/", kCloudLb},
    {"Service", "metallb.io/", kCloudLb},
    {"Service", "kube-vip.io/", kCloudLb},
    {"Service", "external-dns.alpha.kubernetes.io/", "accepted, ignored: no external DNS controller here"},
    {"", "cluster-autoscaler.kubernetes.io/", "accepted, ignored: one node, no cluster autoscaler"},
    {"", "eks.amazonaws.com/", "accepted, ignored: no cloud identity on one host"},
    {"", "iam.gke.io/", "accepted, ignored: no cloud identity on one host"},
    {"", "azure.workload.identity/", "accepted, ignored: no cloud identity on one host"},
};

}  // namespace

const FieldRule* find_field_rule(std::string_view type, std::string_view field) {
  for (const FieldRule& r : kRules)
    if (r.type == type && r.field == field) return &r;
  return nullptr;
}

std::string_view ignored_annotation_message(std::string_view kind, std::string_view key) {
  for (const AnnotationRule& r : kAnnotations)
    if ((r.kind.empty() || r.kind == kind) && key.starts_with(r.prefix)) return r.message;
  return {};
}

}  // namespace skiff::manifest
