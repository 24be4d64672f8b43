#include "launcher/pod_env.hpp"

#include <map>

#include "exec_probe.hpp"
#include "manifest/names.hpp"

namespace skiff::launcher {

namespace {

using manifest::Container;
using manifest::Pod;

// Sets name to value, keeping the first position a name was defined at (a later definition wins).
void set(EnvList& env, std::map<std::string, std::string>& defined, const std::string& name,
         std::string value) {
  auto [it, fresh] = defined.insert_or_assign(name, value);
  (void)it;
  if (fresh) {
    env.emplace_back(name, std::move(value));
    return;
  }
  for (auto& [k, v] : env)
    if (k == name) v = std::move(value);
}

// The value inside metadata.labels['key'] (the API server has checked the syntax).
std::optional<std::string> subscript(const std::string& path, const std::string& prefix) {
  if (path.rfind(prefix + "['", 0) != 0 || path.size() < prefix.size() + 4 ||
      path.substr(path.size() - 2) != "']")
    return std::nullopt;
  return path.substr(prefix.size() + 2, path.size() - prefix.size() - 4);
}

std::string map_value(const manifest::LabelMap& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

// Ceil(a / b) for positive b.
int64_t ceil_div(int64_t a, int64_t b) {
  return a / b + (a % b != 0 && (a > 0) == (b > 0) ? 1 : 0);
}

const Container* find_container(const Pod& pod, const std::string& name) {
  for (const auto* list : {&pod.spec.containers, &pod.spec.init_containers})
    for (const auto& c : *list)
      if (c.name == name) return &c;
  return nullptr;
}

}  // namespace

std::string pod_field_value(const Pod& pod, const std::string& path, const PodRuntimeFacts& facts) {
  if (path == "metadata.name") return pod.metadata.name;
  if (path == "metadata.namespace") return pod.metadata.namespace_;
  if (path == "metadata.uid") return pod.metadata.uid;
  if (path == "spec.nodeName") return pod.spec.node_name.empty() ? facts.node_name : pod.spec.node_name;
  if (path == "spec.serviceAccountName") return "default";  // no service accounts on one host
  if (path == "status.hostIP" || path == "status.hostIPs") return facts.host_ip;
  if (path == "status.podIP" || path == "status.podIPs")
    return pod.spec.host_network ? facts.host_ip : facts.pod_ip;
  if (auto k = subscript(path, "metadata.labels")) return map_value(pod.metadata.labels, *k);
  if (auto k = subscript(path, "metadata.annotations")) return map_value(pod.metadata.annotations, *k);
  throw ContainerConfigError("unsupported fieldPath: " + path);
}

std::string container_resource_value(const Pod& pod, const Container& self,
                                     const manifest::ResourceFieldSelector& ref,
                                     const PodRuntimeFacts& facts) {
  const Container* c = ref.container_name.empty() ? &self : find_container(pod, ref.container_name);
  if (!c)
    throw ContainerConfigError("container " + ref.container_name + " not found in pod " + pod.metadata.name);
  auto dot = ref.resource.find('.');
  std::string kind = ref.resource.substr(0, dot),
              name = dot == std::string::npos ? "" : ref.resource.substr(dot + 1);
  const auto& list = kind == "limits" ? c->resources.limits : c->resources.requests;
  auto it = list.find(name);
  if (name == "cpu") {
    // A limit not set is the node's allocatable (MergeContainerResourceLimits); a request, zero.
    int64_t milli =
        it != list.end() ? it->second.milli_value() : (kind == "limits" ? facts.node_cpu_milli : 0);
    int64_t div = ref.divisor.is_zero() ? 1000 : ref.divisor.milli_value();
    return std::to_string(ceil_div(milli, div));
  }
  if (name == "memory" || name == "ephemeral-storage") {
    int64_t v = it != list.end() ? it->second.value()
                                 : (kind == "limits" && name == "memory" ? facts.node_memory_bytes : 0);
    int64_t div = ref.divisor.is_zero() ? 1 : ref.divisor.value();
    return std::to_string(ceil_div(v, div));
  }
  throw ContainerConfigError("unsupported container resource : " + ref.resource);
}

EnvList resolve_container_env(const Pod& pod, const Container& c, const PodRuntimeFacts& facts,
                              const ConfigSources& sources, std::vector<std::string>* warnings) {
  const std::string& ns = pod.metadata.namespace_;
  EnvList env;
  std::map<std::string, std::string> defined;

  auto config_map = [&](const std::string& name, bool optional) -> std::optional<manifest::ConfigMap> {
    auto cm = sources.config_map ? sources.config_map(ns, name) : std::nullopt;
    if (!cm && !optional) throw ContainerConfigError("configmap \"" + name + "\" not found");
    return cm;
  };
  auto secret = [&](const std::string& name, bool optional) -> std::optional<manifest::Secret> {
    auto s = sources.secret ? sources.secret(ns, name) : std::nullopt;
    if (!s && !optional) throw ContainerConfigError("secret \"" + name + "\" not found");
    return s;
  };

  for (const auto& from : c.env_from) {
    std::map<std::string, std::string> data;
    std::string what;
    if (from.config_map_ref) {
      auto cm = config_map(from.config_map_ref->name, from.config_map_ref->optional.value_or(false));
      if (!cm) continue;
      data = cm->data;
      what = "configMap " + ns + "/" + from.config_map_ref->name;
    } else if (from.secret_ref) {
      auto s = secret(from.secret_ref->name, from.secret_ref->optional.value_or(false));
      if (!s) continue;
      for (const auto& [k, v] : s->data) data[k] = v.bytes;
      what = "secret " + ns + "/" + from.secret_ref->name;
    }
    std::string invalid;
    for (const auto& [k, v] : data) {
      std::string name = from.prefix + k;
      if (!manifest::is_env_var_name(name).empty()) {
        invalid += (invalid.empty() ? "" : ", ") + name;
        continue;
      }
      set(env, defined, name, v);
    }
    if (!invalid.empty() && warnings)
      warnings->push_back("Keys [" + invalid + "] from the EnvFrom " + what +
                          " were skipped since they are considered invalid environment variable names.");
  }

  for (const auto& e : c.env) {
    std::string value;
    if (!e.value_from) {
      value = probes::expand_env(e.value, defined);
    } else if (const auto& src = *e.value_from; src.config_map_key_ref) {
      const auto& ref = *src.config_map_key_ref;
      bool optional = ref.optional.value_or(false);
      auto cm = config_map(ref.name, optional);
      if (!cm) continue;
      auto it = cm->data.find(ref.key);
      if (it == cm->data.end()) {
        if (optional) continue;
        throw ContainerConfigError("couldn't find key " + ref.key + " in ConfigMap " + ns + "/" + ref.name);
      }
      value = it->second;
    } else if (src.secret_key_ref) {
      const auto& ref = *src.secret_key_ref;
      bool optional = ref.optional.value_or(false);
      auto s = secret(ref.name, optional);
      if (!s) continue;
      auto it = s->data.find(ref.key);
      if (it == s->data.end()) {
        if (optional) continue;
        throw ContainerConfigError("couldn't find key " + ref.key + " in Secret " + ns + "/" + ref.name);
      }
      value = it->second.bytes;
    } else if (src.field_ref) {
      value = pod_field_value(pod, src.field_ref->field_path, facts);
    } else if (src.resource_field_ref) {
      value = container_resource_value(pod, c, *src.resource_field_ref, facts);
    }
    set(env, defined, e.name, std::move(value));
  }
  return env;
}

}  // namespace skiff::launcher
