// shop.yaml whole, all-or-nothing parsing, to_json as an API server returns objects, from_json's
// lossless round trip, and the `-o yaml` layout.
#include <gtest/gtest.h>

#include "error.hpp"
#include "manifest/yaml_emitter.hpp"
#include "manifest_test_util.hpp"

namespace skiff::manifest {
namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ManifestShop, ParsesWholeWithExactlyThePromisedWarnings) {
  std::string text = test::read_testdata("shop.yaml");
  ASSERT_FALSE(text.empty());
  ParseResult r = test::parse(text, "shop.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  ASSERT_EQ(r.objects.size(), 6u);
  std::vector<std::string> kinds;
  for (const ParsedObject& o : r.objects) kinds.emplace_back(kind_of(o.object));
  EXPECT_EQ(kinds, (std::vector<std::string>{"Namespace", "ConfigMap", "Secret", "Deployment", "Service",
                                             "HorizontalPodAutoscaler"}));
  std::string w = test::warnings_of(r);
  EXPECT_EQ(r.warnings.size(), 4u) << w;
  EXPECT_TRUE(has(w, "shop.yaml:63:7: spec.template.spec.serviceAccountName: accepted, ignored")) << w;
  EXPECT_TRUE(
      has(w, "shop.yaml:163:7: spec.template.spec.affinity: accepted, ignored: one node, nothing to place"))
      << w;
  EXPECT_TRUE(has(w, "shop.yaml:172:7: spec.template.spec.tolerations: accepted, ignored")) << w;
  EXPECT_TRUE(has(w,
                  "shop.yaml:184:5: metadata.annotations[service.beta.kubernetes.io/aws-load-balancer-type]: "
                  "accepted, ignored"))
      << w;

  const auto& secret = std::get<Secret>(r.objects[2].object);
  EXPECT_EQ(secret.data.at("db-password").bytes, "secret-password");
  EXPECT_EQ(secret.data.at("api-key").bytes, "abc123") << "stringData is merged into data";
  EXPECT_TRUE(secret.string_data.empty());

  const auto& d = std::get<Deployment>(r.objects[3].object);
  EXPECT_EQ(d.metadata.namespace_, "shop");
  EXPECT_EQ(d.spec.replicas, 3);
  EXPECT_EQ(d.spec.revision_history_limit, 5);
  EXPECT_EQ(d.spec.progress_deadline_seconds, 600);
  EXPECT_EQ(d.spec.strategy.rolling_update->max_surge, IntOrString::from_int(1));
  EXPECT_EQ(d.spec.strategy.rolling_update->max_unavailable, IntOrString::from_int(0));
  const PodSpec& ps = d.spec.template_.spec;
  EXPECT_EQ(ps.volumes[1].config_map->default_mode, 420) << "0644 is YAML 1.1 octal";
  EXPECT_EQ(ps.volumes[2].secret->default_mode, 256) << "0400";
  EXPECT_EQ(ps.containers[0].resources.limits.at("memory").str(), "64Mi");
  EXPECT_EQ(ps.containers[0].resources.requests.at("cpu").milli_value(), 50);
  EXPECT_TRUE(ps.containers[0].startup_probe.has_value());
  EXPECT_EQ(ps.init_containers[0].env[0].value_from->config_map_key_ref->key, "greeting");
  EXPECT_EQ(ps.node_selector.at("kubernetes.io/os"), "linux");

  const auto& svc = std::get<Service>(r.objects[4].object);
  EXPECT_EQ(svc.spec.ports[0].target_port, IntOrString::from_string("http"));
  EXPECT_EQ(svc.spec.ports[0].protocol, "TCP");
  EXPECT_EQ(svc.spec.session_affinity_config->client_ip->timeout_seconds, 10800);
  EXPECT_EQ(svc.spec.external_traffic_policy, "Cluster");

  const auto& hpa = std::get<HorizontalPodAutoscaler>(r.objects[5].object);
  EXPECT_EQ(hpa.spec.min_replicas, 2);
  EXPECT_EQ(hpa.spec.metrics[0].resource->target.average_utilization, 70);
  const auto& ns = std::get<Namespace>(r.objects[0].object);
  EXPECT_EQ(ns.metadata.labels.at("kubernetes.io/metadata.name"), "shop");
}

TEST(ManifestShop, AnyErrorAndTheCallerGetsNoObjects) {
  std::string text = test::read_testdata("shop.yaml");
  text += "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\n";
  ParseResult r = test::parse(text, "shop.yaml");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.objects.empty());
  EXPECT_TRUE(has(r.error_text(), "kind: kind \"StatefulSet\" (apps/v1) is not supported (supported kinds:"))
      << r.error_text();
}

TEST(ManifestObjects, UnknownKindsAndVersions) {
  EXPECT_TRUE(has(test::errors_of("apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: d}\n"),
                  "apiVersion: kind Deployment in \"extensions/v1beta1\" is not supported: use apps/v1"));
  EXPECT_TRUE(has(test::errors_of("kind: Pod\nmetadata: {name: d}\n"), "apiVersion: Required value"));
  EXPECT_TRUE(has(test::errors_of("- a\n- b\n"), "a manifest document must be a mapping"));
  EXPECT_TRUE(
      has(test::errors_of("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, "
                          "image: x}]}\nextra: 1\n"),
          "t.yaml:5:1: extra: unknown field \"extra\""));
}

TEST(ManifestObjects, KindListItemsWithPositions) {
  std::string y =
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n"
      "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: Bad\n";
  ParseResult r = test::parse(y);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has(r.error_text(), "t.yaml:10:11: metadata.name: Invalid value: \"Bad\"")) << r.error_text();
  r = test::parse(
      "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"
      "- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n");
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_EQ(r.objects.size(), 2u);
  EXPECT_EQ(r.objects[1].pos.line, 5);
}

TEST(ManifestOutput, ToJsonAsAnApiServerReturnsIt) {
  Pod p = test::parse_one<Pod>(test::pod_yaml("    ports:\n    - containerPort: 80\n"));
  p.metadata.uid = "8b1c1e8a-0000-4000-8000-000000000001";
  p.metadata.resource_version = "7";
  p.metadata.creation_timestamp.rfc3339 = "2026-12-01T10:00:00Z";
  p.status.phase = "Running";
  p.status.pod_ip = "10.88.0.5";
  ContainerStatus cs;
  cs.name = "c";
  cs.ready = true;
  cs.restart_count = 0;
  cs.state.running.emplace();
  cs.state.running->started_at.rfc3339 = "2026-12-01T10:00:01Z";
  p.status.container_statuses.push_back(cs);
  PodCondition cond{"Ready", "True", {}, {"2026-12-01T10:00:02Z"}, "", ""};
  p.status.conditions.push_back(cond);
  nlohmann::json j = to_json(p);
  EXPECT_EQ(j["apiVersion"], "v1");
  EXPECT_EQ(j["kind"], "Pod");
  EXPECT_EQ(j["metadata"]["uid"], p.metadata.uid);
  EXPECT_EQ(j["metadata"]["resourceVersion"], "7");
  EXPECT_EQ(j["spec"]["containers"][0]["resources"], nlohmann::json::object())
      << "resources: {} as Kubernetes";
  EXPECT_EQ(j["spec"]["containers"][0]["ports"][0],
            (nlohmann::json{{"containerPort", 80}, {"protocol", "TCP"}}));
  EXPECT_EQ(j["spec"]["securityContext"], nlohmann::json::object());
  EXPECT_EQ(j["status"]["containerStatuses"][0]["restartCount"], 0) << "restartCount is never omitted";
  EXPECT_EQ(j["status"]["containerStatuses"][0]["ready"], true);
  EXPECT_EQ(j["status"]["containerStatuses"][0]["lastState"], nlohmann::json::object());
  EXPECT_TRUE(j["status"]["conditions"][0]["lastProbeTime"].is_null()) << "a zero time prints as null";
  EXPECT_FALSE(j["spec"].contains("hostNetwork")) << "false is omitted (omitempty)";
  Object back = object_from_json(j);
  EXPECT_EQ(std::get<Pod>(back), p);
}

TEST(ManifestOutput, EveryShopObjectRoundTripsLosslessly) {
  ParseResult r = test::parse(test::read_testdata("shop.yaml"), "shop.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  for (const ParsedObject& o : r.objects) {
    nlohmann::json j = to_json(o.object);
    Object back = object_from_json(j);
    EXPECT_EQ(to_json(back), j) << kind_of(o.object);
    EXPECT_TRUE(back == o.object) << kind_of(o.object);
    // the YAML printed for -o yaml reads back to the same object too
    ParseResult again = test::parse(to_yaml(j));
    ASSERT_TRUE(again.ok()) << again.error_text() << "\n" << to_yaml(j);
    EXPECT_EQ(to_json(again.objects.at(0).object), j) << to_yaml(j);
  }
}

TEST(ManifestOutput, FromJsonRefusesWhatToJsonCannotWrite) {
  EXPECT_THROW(object_from_json(nlohmann::json{{"apiVersion", "v1"}, {"kind", "Pod"}, {"bogus", 1}}), Error);
  EXPECT_THROW(object_from_json(nlohmann::json::array()), Error);
  EXPECT_THROW(object_from_json(nlohmann::json{{"apiVersion", "v1"}, {"kind", "Widget"}}), Error);
}

TEST(ManifestOutput, YamlLayoutAsKubectl) {
  nlohmann::json j = {
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata",
       {{"name", "x"}, {"creationTimestamp", "2026-12-01T10:00:00Z"}, {"labels", {{"a", "true"}}}}},
      {"data", {{"conf", "listen=8080\ncache=on\n"}, {"port", "8080"}, {"empty", ""}, {"colon", "a: b"}}},
      {"list", {{{"name", "c"}, {"image", "x"}}, nlohmann::json::array(), {1, 2}}},
      {"empty", nlohmann::json::object()}};
  std::string y = to_yaml(j);
  EXPECT_EQ(y,
            "apiVersion: v1\n"
            "data:\n"
            "  colon: 'a: b'\n"
            "  conf: |\n"
            "    listen=8080\n"
            "    cache=on\n"
            "  empty: \"\"\n"
            "  port: \"8080\"\n"
            "empty: {}\n"
            "kind: ConfigMap\n"
            "list:\n"
            "- image: x\n"
            "  name: c\n"
            "- []\n"
            "- - 1\n"
            "  - 2\n"
            "metadata:\n"
            "  creationTimestamp: \"2026-12-01T10:00:00Z\"\n"
            "  labels:\n"
            "    a: \"true\"\n"
            "  name: x\n");
  // and it is YAML that reads back to the same JSON
  Diagnostics d;
  auto docs = read_documents(y, d);
  ASSERT_EQ(docs.size(), 1u) << d.error_text();
  EXPECT_EQ(docs[0].value, j);
}

// Any string the emitter writes reads back as the same string (quoting chosen right), for strings
// made of the characters YAML treats specially.
TEST(ManifestOutput, EmittedStringsReadBackUnchanged) {
  const std::string alphabet = "ab01 :#-?'\"\\{}[],&*!|>%@`\n\t.~=ü";
  std::vector<std::string> fixed = {
      "",       " ",         "true",    "yes",        "Y",    "~",    "null",  "0644",     "1e3",
      "- x",    "a: b",      "a #b",    "#x",         "x:",   "---",  "...",   "line\n",   "two\nlines",
      "\nlead", "trail \nx", "tab\tin", "2024-01-02", "0x1F", ".inf", "1_000", "'quoted'", "\"dq\""};
  uint32_t seed = 12345;
  auto next = [&] { return seed = seed * 1103515245u + 12345u; };
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    size_t len = next() % 8;
    for (size_t k = 0; k < len; ++k) {
      size_t at = next() % alphabet.size();
      if (alphabet[at] == '\xc3') at++;  // keep the multi-byte letter whole
      if ((unsigned char)alphabet[at] == 0xbc) s += "\xc3";
      s += alphabet[at];
    }
    fixed.push_back(s);
  }
  for (const std::string& s : fixed) {
    nlohmann::json j = {{"k", s}, {"list", {s}}};
    std::string y = to_yaml(j);
    Diagnostics d;
    auto docs = read_documents(y, d);
    ASSERT_EQ(docs.size(), 1u) << "for " << nlohmann::json(s).dump() << ":\n" << y << d.error_text();
    EXPECT_EQ(docs[0].value, j) << "for " << nlohmann::json(s).dump() << ":\n" << y;
  }
}

}  // namespace
}  // namespace skiff::manifest
