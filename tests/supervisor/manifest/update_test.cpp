// validate_update: what an apply over an existing object may not change, with Kubernetes' messages.
#include <gtest/gtest.h>

#include "manifest_test_util.hpp"

namespace skiff::manifest {
namespace {

Object one(const std::string& yaml) {
  ParseResult r = test::parse(yaml);
  EXPECT_TRUE(r.ok()) << r.error_text();
  return r.objects.at(0).object;
}

std::string update_errors(const std::string& old_yaml, const std::string& new_yaml) {
  Diagnostics d;
  validate_update(one(old_yaml), one(new_yaml), d);
  return d.error_text();
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string deployment(const std::string& image, const std::string& selector_labels) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector:\n    matchLabels: "
         "{" +
         selector_labels +
         "}\n  template:\n    metadata:\n      labels: {app: web, tier: a}\n    spec:\n"
         "      containers:\n      - {name: c, image: '" +
         image + "'}\n";
}

TEST(ManifestUpdate, DeploymentSelectorIsImmutableTemplateIsNot) {
  EXPECT_EQ(update_errors(deployment("busybox:1", "app: web"), deployment("busybox:2", "app: web")), "");
  EXPECT_TRUE(
      has(update_errors(deployment("busybox:1", "app: web"), deployment("busybox:1", "app: web, tier: a")),
          "spec.selector: Invalid value: {\"matchLabels\":{\"app\":\"web\",\"tier\":\"a\"}}: field is "
          "immutable"));
}

TEST(ManifestUpdate, PodSpecOnlyImagesAndDeadlines) {
  std::string base = test::pod_yaml("    env: [{name: A, value: '1'}]\n");
  std::string image = base;
  image.replace(image.find("busybox:1"), 9, "busybox:2");
  EXPECT_EQ(update_errors(base, image), "");
  EXPECT_EQ(update_errors(base, test::pod_yaml("    env: [{name: A, value: '1'}]\n",
                                               "  activeDeadlineSeconds: 60\n"
                                               "  tolerations: [{key: x}]\n")),
            "");
  EXPECT_TRUE(
      has(update_errors(base, test::pod_yaml("    env: [{name: A, value: '2'}]\n")),
          "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`"));
}

TEST(ManifestUpdate, ImmutableConfigMapsAndSecrets) {
  std::string cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nimmutable: true\ndata: {a: '1'}\n";
  EXPECT_EQ(update_errors(cm, cm), "");
  std::string changed =
      update_errors(cm, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '2'}\n");
  EXPECT_TRUE(has(changed, "immutable: Forbidden: field is immutable when `immutable` is set")) << changed;
  EXPECT_TRUE(has(changed, "data: Forbidden: field is immutable when `immutable` is set")) << changed;
  EXPECT_EQ(update_errors("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '1'}\n",
                          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '2'}\n"),
            "");
  EXPECT_TRUE(has(update_errors("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n",
                                "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\n"
                                "stringData: {tls.crt: a, tls.key: b}\n"),
                  "type: Invalid value: \"kubernetes.io/tls\": field is immutable"));
}

TEST(ManifestUpdate, ServiceClusterIpAndKind) {
  std::string a =
      "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: 10.96.0.10, ports: [{port: "
      "80}]}\n";
  std::string b =
      "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: 10.96.0.11, ports: [{port: "
      "80}]}\n";
  EXPECT_TRUE(has(update_errors(a, b), "spec.clusterIP: Invalid value: \"10.96.0.11\": field is immutable"));
  EXPECT_TRUE(has(update_errors(a, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n"),
                  "kind: Invalid value: \"ConfigMap\": may not change from Service"));
}

}  // namespace
}  // namespace skiff::manifest
