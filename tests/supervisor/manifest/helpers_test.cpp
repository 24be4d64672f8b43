// int-or-string scaling, label selectors, names, hashes, image pull defaults.
#include <gtest/gtest.h>

#include "error.hpp"
#include "manifest/base64.hpp"
#include "manifest/hash.hpp"
#include "manifest/image_name.hpp"
#include "manifest/int_or_string.hpp"
#include "manifest/label_selector.hpp"
#include "manifest/names.hpp"

namespace skiff::manifest {
namespace {

TEST(ManifestIntOrString, PercentScalingRoundsAsRollingUpdatesDo) {
  auto pct = IntOrString::from_string("25%");
  EXPECT_EQ(get_scaled_value_from_int_or_percent(pct, 10, true).value, 3);   // surge rounds up
  EXPECT_EQ(get_scaled_value_from_int_or_percent(pct, 10, false).value, 2);  // unavailable rounds down
  EXPECT_EQ(get_scaled_value_from_int_or_percent(IntOrString::from_int(4), 10, true).value, 4);
  EXPECT_EQ(get_scaled_value_from_int_or_percent(IntOrString::from_string("100%"), 3, false).value, 3);
  EXPECT_EQ(get_scaled_value_from_int_or_percent(IntOrString::from_string("25"), 10, true).error,
            "invalid type: string is not a percentage");
  EXPECT_NE(get_scaled_value_from_int_or_percent(IntOrString::from_string("x%"), 10, true).error, "");
}

TEST(ManifestSelector, MatchAndString) {
  LabelSelector s;
  s.match_labels = {{"app", "web"}};
  s.match_expressions = {{"tier", "In", {"b", "a"}},
                         {"canary", "DoesNotExist", {}},
                         {"env", "NotIn", {"dev"}},
                         {"zone", "Exists", {}}};
  EXPECT_EQ(selector_string(s), "app=web,!canary,env notin (dev),tier in (a,b),zone");
  EXPECT_TRUE(selector_matches(s, {{"app", "web"}, {"tier", "a"}, {"zone", "1"}}));
  EXPECT_FALSE(selector_matches(s, {{"app", "web"}, {"tier", "a"}, {"zone", "1"}, {"canary", "x"}}));
  EXPECT_FALSE(selector_matches(s, {{"app", "web"}, {"tier", "c"}, {"zone", "1"}}));
  EXPECT_FALSE(selector_matches(s, {{"app", "web"}, {"tier", "a"}, {"zone", "1"}, {"env", "dev"}}));
  EXPECT_FALSE(selector_matches(s, {{"app", "web"}, {"tier", "a"}}));
  EXPECT_TRUE(selector_matches(LabelSelector{}, {{"x", "y"}})) << "an empty selector matches everything";
}

TEST(ManifestSelector, ParseStringForm) {
  auto s = Selector::parse("app=web, tier in (a, b),!canary,env!=dev,zone");
  EXPECT_EQ(s.to_string(), "app=web,!canary,env!=dev,tier in (a,b),zone");
  EXPECT_THROW(Selector::parse("tier in (a"), Error);
  EXPECT_THROW(Selector::parse("a=b c"), Error);
  EXPECT_TRUE(Selector::parse("").empty());
}

TEST(ManifestSelector, TypedAndStringFormsMatchAlike) {
  LabelSelector typed;
  typed.match_labels = {{"app", "web"}};
  typed.match_expressions = {{"tier", "In", {"b", "a"}}, {"canary", "DoesNotExist", {}}};
  Selector from_typed = Selector::of(typed);
  Selector parsed = Selector::parse("app=web,tier in (a,b),!canary");
  EXPECT_EQ(from_typed.to_string(), parsed.to_string());
  for (const LabelMap& labels : std::vector<LabelMap>{{{"app", "web"}, {"tier", "a"}},
                                                      {{"app", "web"}, {"tier", "c"}},
                                                      {{"app", "web"}, {"tier", "b"}, {"canary", "1"}},
                                                      {}}) {
    nlohmann::json j(labels);
    EXPECT_EQ(from_typed.matches(labels), parsed.matches(j));
  }
  EXPECT_TRUE(from_typed.matches(LabelMap{{"app", "web"}, {"tier", "b"}}));
}

TEST(ManifestSelector, NodeSelector) {
  LabelMap node = {{"kubernetes.io/os", "linux"}, {"kubernetes.io/hostname", "edge1"}};
  EXPECT_TRUE(node_selector_matches({{"kubernetes.io/os", "linux"}}, node));
  EXPECT_FALSE(node_selector_matches({{"kubernetes.io/os", "windows"}}, node));
  EXPECT_FALSE(node_selector_matches({{"disk", "ssd"}}, node));
  EXPECT_TRUE(node_selector_matches({}, node));
}

TEST(ManifestNames, KubernetesMessages) {
  EXPECT_TRUE(is_dns1123_label("my-name").empty());
  ASSERT_EQ(is_dns1123_label("My_Name").size(), 1u);
  EXPECT_EQ(
      is_dns1123_label("My_Name")[0],
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
      "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
      "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
  EXPECT_EQ(is_dns1123_label(std::string(64, 'a'))[0], "must be no more than 63 characters");
  EXPECT_TRUE(is_dns1123_subdomain("a.b-c.d").empty());
  EXPECT_FALSE(is_dns1123_subdomain("a..b").empty());
  EXPECT_FALSE(is_dns1035_label("1abc").empty());
  EXPECT_TRUE(is_qualified_name("kubernetes.io/os").empty());
  EXPECT_EQ(is_qualified_name("/x")[0], "prefix part must be non-empty");
  EXPECT_FALSE(is_qualified_name("a/b/c").empty());
  EXPECT_TRUE(is_label_value("").empty());
  EXPECT_FALSE(is_label_value("-x").empty());
  EXPECT_TRUE(is_valid_port_name("http").empty());
  EXPECT_EQ(is_valid_port_name("8080")[0], "must contain at least one letter (a-z)");
  EXPECT_EQ(is_valid_port_name("a--b")[0], "must not contain consecutive hyphens");
  EXPECT_EQ(is_valid_port_name("abcdefghijklmnop")[0], "must be no more than 15 characters");
  EXPECT_EQ(is_valid_port_num(0)[0], "must be between 1 and 65535, inclusive");
  EXPECT_TRUE(is_env_var_name("MY_VAR.1-x").empty());
  EXPECT_FALSE(is_env_var_name("A=B").empty());
  EXPECT_EQ(is_config_map_key("..x").back(), "must not start with '..'");
  EXPECT_FALSE(is_config_map_key("a/b").empty());
  EXPECT_EQ(is_relative_clean_path("/abs")[0], "must be a relative path");
  EXPECT_EQ(is_relative_clean_path("a/../b")[0], "must not contain '..'");
  EXPECT_TRUE(is_relative_clean_path("a/..b").empty());
}

TEST(ManifestHash, SafeEncodeStringAlphabet) {
  // Kubernetes maps the decimal digits of the FNV hash: '0' -> '4', ..., '9' -> 'f'
  EXPECT_EQ(safe_encode_string("0123456789"), "456789bcdf");
}

TEST(ManifestHash, PodTemplateHashStableAndSensitive) {
  PodTemplateSpec t;
  t.metadata.labels = {{"app", "web"}, {"tier", "a"}};
  t.spec.containers.push_back({});
  t.spec.containers[0].name = "c";
  t.spec.containers[0].image = "busybox:1";
  std::string h = pod_template_hash(t, std::nullopt);
  EXPECT_EQ(h, pod_template_hash(t, std::nullopt));
  EXPECT_LE(h.size(), 10u);
  for (char c : h) EXPECT_NE(std::string("456789bcdf").find(c), std::string::npos) << h;
  PodTemplateSpec t2 = t;
  t2.metadata.labels = {{"tier", "a"}, {"app", "web"}};  // same map, other insertion order
  EXPECT_EQ(pod_template_hash(t2, std::nullopt), h);
  t2.spec.containers[0].image = "busybox:2";
  EXPECT_NE(pod_template_hash(t2, std::nullopt), h);
  EXPECT_NE(pod_template_hash(t, 1), h) << "collisionCount changes the hash";
  EXPECT_NE(pod_template_hash(t, 1), pod_template_hash(t, 2));
  // FNV-1a of known input, so the function is the real one
  EXPECT_EQ(fnv1a32(""), 2166136261u);
  EXPECT_EQ(fnv1a32("a"), 0xe40c292cu);
}

TEST(ManifestHash, ContainerSpecHashChangesWithSpec) {
  Container c;
  c.name = "web";
  c.image = "busybox:1";
  std::string h = container_spec_hash(c);
  EXPECT_EQ(h, container_spec_hash(c));
  c.args = {"x"};
  EXPECT_NE(container_spec_hash(c), h);
}

TEST(ManifestImage, PullPolicyTag) {
  EXPECT_TRUE(image_tag_is_latest("busybox"));
  EXPECT_TRUE(image_tag_is_latest("busybox:latest"));
  EXPECT_TRUE(image_tag_is_latest("localhost:5000/busybox"));
  EXPECT_FALSE(image_tag_is_latest("localhost:5000/busybox:1"));
  EXPECT_FALSE(image_tag_is_latest("busybox@sha256:abcd"));
  EXPECT_FALSE(image_tag_is_latest("busybox:1.36"));
}

TEST(ManifestBase64, GoStdEncoding) {
  EXPECT_EQ(base64_encode("secret-password"), "c2VjcmV0LXBhc3N3b3Jk");
  EXPECT_EQ(*base64_decode("c2VjcmV0LXBhc3N3b3Jk"), "secret-password");
  EXPECT_EQ(*base64_decode("YWI=\n"), "ab");
  EXPECT_EQ(*base64_decode("YW\r\nI="), "ab");
  std::string err;
  EXPECT_FALSE(base64_decode("YWI", &err));
  EXPECT_FALSE(base64_decode("Y!I=", &err));
  EXPECT_EQ(err, "illegal base64 data at input byte 1");
  EXPECT_FALSE(base64_decode("YWI=YWI=", &err));
}

}  // namespace
}  // namespace skiff::manifest
