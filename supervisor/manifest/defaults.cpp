// Kubernetes' defaults: pkg/apis/core/v1/defaults.go (and the declarative +default markers),
// pkg/apis/apps/v1/defaults.go, pkg/apis/autoscaling/v2/defaults.go, plus what the API server's create
// strategies add (the namespace, stringData merged into data).
#include "manifest/image_name.hpp"
#include "manifest/manifest.hpp"

namespace skiff::manifest {
namespace {

void default_resources(ResourceList& list) {
  for (auto& [name, q] : list) q.round_up_to_milli();
}

void default_field_ref(std::optional<ObjectFieldSelector>& f) {
  if (f && f->api_version.empty()) f->api_version = "v1";
}

void default_container(Container& c) {
  if (c.image_pull_policy.empty())
    c.image_pull_policy = image_tag_is_latest(c.image) ? "Always" : "IfNotPresent";
  if (c.termination_message_path.empty()) c.termination_message_path = "/dev/termination-log";
  if (c.termination_message_policy.empty()) c.termination_message_policy = "File";
  for (ContainerPort& p : c.ports)
    if (p.protocol.empty()) p.protocol = "TCP";
  for (EnvVar& e : c.env)
    if (e.value_from) default_field_ref(e.value_from->field_ref);
  default_resources(c.resources.limits);
  default_resources(c.resources.requests);
}

void default_items(std::vector<DownwardAPIVolumeFile>& items) {
  for (DownwardAPIVolumeFile& f : items) default_field_ref(f.field_ref);
}

void default_volume(Volume& v) {
  constexpr int32_t kMode = 0644;  // 420: the default mode of configMap, secret, downwardAPI, projected
  if (!v.host_path && !v.empty_dir && !v.secret && !v.config_map && !v.downward_api && !v.projected)
    v.empty_dir.emplace();
  if (v.host_path && !v.host_path->type) v.host_path->type = "";
  if (v.secret && !v.secret->default_mode) v.secret->default_mode = kMode;
  if (v.config_map && !v.config_map->default_mode) v.config_map->default_mode = kMode;
  if (v.downward_api) {
    if (!v.downward_api->default_mode) v.downward_api->default_mode = kMode;
    default_items(v.downward_api->items);
  }
  if (v.projected) {
    if (!v.projected->default_mode) v.projected->default_mode = kMode;
    for (VolumeProjection& p : v.projected->sources)
      if (p.downward_api) default_items(p.downward_api->items);
  }
}

void default_pod_spec(PodSpec& s) {
  if (s.dns_policy.empty()) s.dns_policy = "ClusterFirst";
  if (s.restart_policy.empty()) s.restart_policy = "Always";
  if (!s.security_context) s.security_context.emplace();
  if (!s.termination_grace_period_seconds) s.termination_grace_period_seconds = 30;
  for (Volume& v : s.volumes) default_volume(v);
  for (Container& c : s.init_containers) default_container(c);
  for (Container& c : s.containers) default_container(c);
}

// SetDefaults_Pod: what only a Pod (not a template) gets.
void default_pod_only(PodSpec& s) {
  for (auto* list : {&s.containers, &s.init_containers}) {
    for (Container& c : *list) {
      for (auto& [name, q] : c.resources.limits)
        if (!c.resources.requests.count(name)) c.resources.requests[name] = q;
      if (s.host_network)
        for (ContainerPort& p : c.ports)
          if (p.host_port == 0) p.host_port = p.container_port;
    }
  }
  if (!s.enable_service_links) s.enable_service_links = true;
}

void default_meta(ObjectMeta& m, bool namespaced) {
  if (!namespaced)
    m.namespace_.clear();
  else if (m.namespace_.empty())
    m.namespace_ = "default";
}

void defaults(Pod& p) {
  default_pod_spec(p.spec);
  default_pod_only(p.spec);
}

void defaults(Namespace& n) {
  if (!n.metadata.name.empty()) n.metadata.labels["kubernetes.io/metadata.name"] = n.metadata.name;
  if (n.status.phase.empty()) n.status.phase = "Active";
  if (n.spec.finalizers.empty()) n.spec.finalizers = {"kubernetes"};
}

void defaults(ConfigMap&) {}

void defaults(Secret& s) {
  if (s.type.empty()) s.type = "Opaque";
  for (auto& [k, v] : s.string_data) s.data[k].bytes = v;  // stringData wins, as the API server merges
  s.string_data.clear();
}

void defaults(Deployment& d) {
  DeploymentSpec& s = d.spec;
  if (!s.replicas) s.replicas = 1;
  if (s.strategy.type.empty()) s.strategy.type = "RollingUpdate";
  if (s.strategy.type == "RollingUpdate") {
    if (!s.strategy.rolling_update) s.strategy.rolling_update.emplace();
    auto& ru = *s.strategy.rolling_update;
    if (!ru.max_unavailable) ru.max_unavailable = IntOrString::from_string("25%");
    if (!ru.max_surge) ru.max_surge = IntOrString::from_string("25%");
  }
  if (!s.revision_history_limit) s.revision_history_limit = 10;
  if (!s.progress_deadline_seconds) s.progress_deadline_seconds = 600;
  default_pod_spec(s.template_.spec);
}

void defaults(ReplicaSet& r) {
  if (!r.spec.replicas) r.spec.replicas = 1;
  default_pod_spec(r.spec.template_.spec);
}

void defaults(Service& svc) {
  ServiceSpec& s = svc.spec;
  if (s.session_affinity.empty()) s.session_affinity = "None";
  if (s.session_affinity == "None") s.session_affinity_config.reset();
  if (s.session_affinity == "ClientIP" &&
      (!s.session_affinity_config || !s.session_affinity_config->client_ip ||
       !s.session_affinity_config->client_ip->timeout_seconds))
    s.session_affinity_config = SessionAffinityConfig{ClientIPConfig{10800}};
  if (s.type.empty()) s.type = "ClusterIP";
  for (ServicePort& p : s.ports) {
    if (p.protocol.empty()) p.protocol = "TCP";
    if (p.target_port.is_zero()) p.target_port = IntOrString::from_int(p.port);
  }
  bool external = s.type == "NodePort" || s.type == "LoadBalancer";
  if (external && s.external_traffic_policy.empty()) s.external_traffic_policy = "Cluster";
  if (!s.internal_traffic_policy && (external || s.type == "ClusterIP"))
    s.internal_traffic_policy = "Cluster";
  if (s.type == "LoadBalancer" && !s.allocate_load_balancer_node_ports)
    s.allocate_load_balancer_node_ports = true;
  if (s.type != "ExternalName") {
    // What the API server's IP family allocation sets on a single-stack IPv4 cluster.
    if (!s.ip_family_policy) s.ip_family_policy = "SingleStack";
    if (s.ip_families.empty()) s.ip_families = {"IPv4"};
    if (s.cluster_ips.empty() && !s.cluster_ip.empty()) s.cluster_ips = {s.cluster_ip};
  }
  for (LoadBalancerIngress& ing : svc.status.load_balancer.ingress)
    if (s.type == "LoadBalancer" && !ing.ip.empty() && !ing.ip_mode) ing.ip_mode = "VIP";
}

void defaults(Endpoints& e) {
  for (EndpointSubset& ss : e.subsets)
    for (EndpointPort& p : ss.ports)
      if (p.protocol.empty()) p.protocol = "TCP";
}

// discovery/v1 SetDefaults_EndpointPort.
void defaults(EndpointSlice& s) {
  for (SlicePort& p : s.ports) {
    if (!p.name) p.name = "";
    if (!p.protocol) p.protocol = "TCP";
  }
}

// GenerateHPAScaleUpRules / GenerateHPAScaleDownRules: unset parts of a given rule come from the default.
HPAScalingRules scaling_rules(const std::optional<HPAScalingRules>& given, bool up) {
  HPAScalingRules r;
  r.select_policy = "Max";
  if (up) {
    r.stabilization_window_seconds = 0;
    r.policies = {{"Pods", 4, 15}, {"Percent", 100, 15}};
  } else {
    r.policies = {{"Percent", 100, 15}};
  }
  if (!given) return r;
  if (given->select_policy) r.select_policy = given->select_policy;
  if (given->stabilization_window_seconds)
    r.stabilization_window_seconds = given->stabilization_window_seconds;
  if (!given->policies.empty()) r.policies = given->policies;
  return r;
}

void defaults(HorizontalPodAutoscaler& h) {
  HorizontalPodAutoscalerSpec& s = h.spec;
  if (!s.min_replicas) s.min_replicas = 1;
  if (s.metrics.empty()) {
    MetricSpec m;
    m.type = "Resource";
    m.resource.emplace();
    m.resource->name = "cpu";
    m.resource->target.type = "Utilization";
    m.resource->target.average_utilization = 80;
    s.metrics.push_back(std::move(m));
  }
  if (s.behavior) {
    s.behavior->scale_up = scaling_rules(s.behavior->scale_up, true);
    s.behavior->scale_down = scaling_rules(s.behavior->scale_down, false);
  }
}

}  // namespace

void apply_defaults(Object& object) {
  default_meta(meta_of(object), is_namespaced(object));
  std::visit([](auto& x) { defaults(x); }, object);
}

}  // namespace skiff::manifest
