#include "manifest/manifest.hpp"

#include "error.hpp"
#include "manifest/codec.hpp"

namespace skiff::manifest {

// autoscaling/v1's HorizontalPodAutoscaler as written; converted to v2 right after reading.
struct HpaV1 {
  ObjectMeta metadata;
  HorizontalPodAutoscalerSpecV1 spec;
  HorizontalPodAutoscalerStatusV1 status;
};
SKIFF_MANIFEST_RECORD(HpaV1)
SKIFF_FIELDS(HpaV1) {
  object_fields(v, s, "HorizontalPodAutoscaler");
}

namespace {

constexpr std::string_view kSupportedKinds =
    "Namespace, Pod, ConfigMap, Secret, Deployment, ReplicaSet, Service, HorizontalPodAutoscaler, Endpoints, "
    "EndpointSlice";

// The API server's v1 -> v2 conversion: the CPU target becomes a Resource metric.
HorizontalPodAutoscaler convert_hpa_v1(HpaV1&& v1) {
  HorizontalPodAutoscaler h;
  h.metadata = std::move(v1.metadata);
  h.spec.scale_target_ref = v1.spec.scale_target_ref;
  h.spec.min_replicas = v1.spec.min_replicas;
  h.spec.max_replicas = v1.spec.max_replicas;
  if (v1.spec.target_cpu_utilization_percentage) {
    MetricSpec m;
    m.type = "Resource";
    m.resource.emplace();
    m.resource->name = "cpu";
    m.resource->target.type = "Utilization";
    m.resource->target.average_utilization = v1.spec.target_cpu_utilization_percentage;
    h.spec.metrics.push_back(std::move(m));
  }
  h.status.observed_generation = v1.status.observed_generation;
  h.status.last_scale_time = v1.status.last_scale_time;
  h.status.current_replicas = v1.status.current_replicas;
  h.status.desired_replicas = v1.status.desired_replicas;
  return h;
}

template <typename T>
std::optional<Object> decode_as(const nlohmann::json& j, Diagnostics& d) {
  T obj;
  size_t before = d.error_count();
  decode_value(j, FieldPath(), d, obj);
  if (d.error_count() != before) return std::nullopt;
  if constexpr (std::is_same_v<T, HpaV1>)
    return Object(convert_hpa_v1(std::move(obj)));
  else
    return Object(std::move(obj));
}

std::string string_member(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The decoder for apiVersion/kind, or an error saying what is wrong with them.
std::optional<Object> decode_object(const nlohmann::json& j, Diagnostics& d) {
  std::string api = string_member(j, "apiVersion"), kind = string_member(j, "kind");
  if (j.contains("apiVersion") && !j["apiVersion"].is_string())
    type_error(d, FieldPath("apiVersion"), j["apiVersion"], "a string");
  if (j.contains("kind") && !j["kind"].is_string()) type_error(d, FieldPath("kind"), j["kind"], "a string");
  if (api.empty()) d.required(FieldPath("apiVersion"));
  if (kind.empty()) d.required(FieldPath("kind"));
  if (api.empty() || kind.empty()) return std::nullopt;
  struct Entry {
    std::string_view api, kind;
    std::optional<Object> (*decode)(const nlohmann::json&, Diagnostics&);
  };
  static const Entry kKinds[] = {
      {"v1", "Namespace", decode_as<Namespace>},
      {"v1", "Pod", decode_as<Pod>},
      {"v1", "ConfigMap", decode_as<ConfigMap>},
      {"v1", "Secret", decode_as<Secret>},
      {"v1", "Service", decode_as<Service>},
      {"v1", "Endpoints", decode_as<Endpoints>},
      {"discovery.k8s.io/v1", "EndpointSlice", decode_as<EndpointSlice>},
      {"apps/v1", "Deployment", decode_as<Deployment>},
      {"apps/v1", "ReplicaSet", decode_as<ReplicaSet>},
      {"autoscaling/v2", "HorizontalPodAutoscaler", decode_as<HorizontalPodAutoscaler>},
      {"autoscaling/v1", "HorizontalPodAutoscaler", decode_as<HpaV1>},
  };
  std::string_view known_api;
  for (const Entry& e : kKinds) {
    if (e.kind != kind) continue;
    if (e.api == api) return e.decode(j, d);
    if (known_api.empty()) known_api = e.api;
  }
  if (!known_api.empty()) {
    d.error(FieldPath("apiVersion"),
            "kind " + kind + " in \"" + api + "\" is not supported: use " + std::string(known_api));
  } else {
    d.error(FieldPath("kind"), "kind \"" + kind + "\" (" + api + ") is not supported (supported kinds: " +
                                   std::string(kSupportedKinds) + ")");
  }
  return std::nullopt;
}

void clear_status(Object& o) {
  std::visit(
      [](auto& x) {
        if constexpr (requires { x.status; }) x.status = {};
      },
      o);
}

bool is_list(const nlohmann::json& j) {
  std::string kind = string_member(j, "kind");
  return kind.size() >= 4 && kind.ends_with("List") && j.contains("items");
}

void read_one(const nlohmann::json& j, size_t document, SourcePos pos, Diagnostics& d,
              std::vector<ParsedObject>& out) {
  auto obj = decode_object(j, d);
  if (!obj) return;
  clear_status(*obj);
  apply_defaults(*obj);
  size_t before = d.error_count();
  validate(*obj, d);
  if (d.error_count() == before) out.push_back({std::move(*obj), pos, document});
}

}  // namespace

std::string ParseResult::error_text() const {
  std::string out;
  for (const Diagnostic& e : errors) out += (out.empty() ? "" : "\n") + e.str();
  return out;
}

ParseResult parse_manifests(std::string_view text, const ParseOptions& options) {
  ParseResult result;
  Diagnostics diags;
  diags.set_source(options.file, nullptr);
  std::vector<SourceDocument> docs = read_documents(text, diags, options.limits);
  for (const SourceDocument& doc : docs) {
    diags.set_source(options.file, &doc.positions);
    if (!doc.value.is_object()) {
      diags.error_at(doc.start,
                     "a manifest document must be a mapping (apiVersion, kind, metadata, ...), not " +
                         std::string(doc.value.is_array() ? "a list" : "a scalar"));
      continue;
    }
    if (!is_list(doc.value)) {
      read_one(doc.value, doc.index, doc.start, diags, result.objects);
      continue;
    }
    const nlohmann::json& items = doc.value["items"];
    if (!items.is_array()) {
      type_error(diags, FieldPath("items"), items, "a list");
      continue;
    }
    for (size_t i = 0; i < items.size(); ++i) {
      std::string base = "/items/" + std::to_string(i);
      diags.set_source(options.file, &doc.positions, base);
      if (!items[i].is_object()) {
        diags.error(FieldPath(), "a List item must be an object");
        continue;
      }
      read_one(items[i], doc.index, doc.positions.locate(base, false), diags, result.objects);
    }
  }
  result.warnings = diags.warnings();
  if (diags.has_errors()) {
    result.objects.clear();
    result.errors = diags.errors();
    if (diags.error_count() > diags.errors().size()) {
      Diagnostic more;
      more.file = options.file;
      more.message =
          "... and " + std::to_string(diags.error_count() - diags.errors().size()) + " more errors";
      result.errors.push_back(std::move(more));
    }
  }
  if (docs.empty() && !diags.has_errors()) result.objects.clear();
  return result;
}

nlohmann::json to_json(const Object& object) {
  nlohmann::json j = std::visit([](const auto& x) { return encode_value(x); }, object);
  j["apiVersion"] = api_version_of(object);
  j["kind"] = kind_of(object);
  return j;
}

Object object_from_json(const nlohmann::json& json) {
  Diagnostics diags;
  if (!json.is_object()) throw Error("stored object: not a JSON object");
  auto obj = decode_object(json, diags);
  if (!obj || diags.has_errors()) throw Error("stored object: " + diags.error_text());
  apply_defaults(*obj);
  return std::move(*obj);
}

}  // namespace skiff::manifest
