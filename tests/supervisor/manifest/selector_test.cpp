#include "manifest/label_selector.hpp"

#include <gtest/gtest.h>

#include "error.hpp"

namespace skiff::manifest {
namespace {

using nlohmann::json;

const json kWeb = {{"app", "web"}, {"tier", "front"}, {"version", "3"}};

TEST(Selector, EqualityAndInequality) {
  EXPECT_TRUE(Selector::parse("app=web").matches(kWeb));
  EXPECT_TRUE(Selector::parse("app==web,tier=front").matches(kWeb));
  EXPECT_FALSE(Selector::parse("app=db").matches(kWeb));
  EXPECT_FALSE(Selector::parse("app!=web").matches(kWeb));
  // Kubernetes: an absent label satisfies != and notin.
  EXPECT_TRUE(Selector::parse("env!=prod").matches(kWeb));
  EXPECT_TRUE(Selector::parse("env notin (prod)").matches(kWeb));
  EXPECT_FALSE(Selector::parse("app=web").matches(json()));
}

TEST(Selector, SetsExistenceAndNumbers) {
  EXPECT_TRUE(Selector::parse("tier in (back, front)").matches(kWeb));
  EXPECT_FALSE(Selector::parse("tier notin (front,x)").matches(kWeb));
  EXPECT_TRUE(Selector::parse("app").matches(kWeb));
  EXPECT_FALSE(Selector::parse("!app").matches(kWeb));
  EXPECT_TRUE(Selector::parse("!canary, app").matches(kWeb));
  EXPECT_TRUE(Selector::parse("version>2").matches(kWeb));
  EXPECT_FALSE(Selector::parse("version<3").matches(kWeb));
  // "input" is a key, not the operator "in".
  EXPECT_TRUE(Selector::parse("input!=x").matches(kWeb));
}

TEST(Selector, EmptyMatchesEverything) {
  EXPECT_TRUE(Selector::parse("").matches(kWeb));
  EXPECT_TRUE(Selector::parse("  ").empty());
  EXPECT_TRUE(Selector::from_json(json::object()).matches(kWeb));
  EXPECT_FALSE(Selector::from_json(json()).matches(kWeb));
}

TEST(Selector, BadSyntaxNamesTheProblem) {
  auto msg = [](const char* s) {
    try {
      Selector::parse(s);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(msg("app in (a").find("missing \")\""), std::string::npos) << msg("app in (a");
  EXPECT_NE(msg("Bad Key=x").find("expected"), std::string::npos) << msg("Bad Key=x");
  EXPECT_NE(msg("app=we b").find("expected ','"), std::string::npos) << msg("app=we b");
  EXPECT_NE(msg("a=-x").find("alphanumeric"), std::string::npos) << msg("a=-x");
  EXPECT_NE(msg("n>x").find("not an integer"), std::string::npos) << msg("n>x");
  EXPECT_NE(msg(",").find("label key"), std::string::npos) << msg(",");
  EXPECT_NE(msg("UPPER.example/x=1").find("prefix"), std::string::npos);
  EXPECT_EQ(msg("example.com/app=x"), "no error");
}

TEST(Selector, CanonicalStringParsesBack) {
  auto s = Selector::parse("tier in (front,back),app=web,!canary,gpu");
  EXPECT_EQ(s.to_string(), "app=web,!canary,gpu,tier in (back,front)");  // sorted by key, as Kubernetes
  EXPECT_EQ(Selector::parse(s.to_string()).to_string(), s.to_string());
}

TEST(Selector, FromSpecSelector) {
  json sel = {{"matchLabels", {{"app", "web"}}},
              {"matchExpressions",
               {{{"key", "tier"}, {"operator", "In"}, {"values", {"front", "back"}}},
                {{"key", "canary"}, {"operator", "DoesNotExist"}}}}};
  auto s = Selector::from_json(sel);
  EXPECT_TRUE(s.matches(kWeb));
  EXPECT_FALSE(s.matches(json{{"app", "web"}, {"tier", "front"}, {"canary", "1"}}));
  EXPECT_THROW(Selector::from_json({{"matchExpressions", {{{"key", "a"}, {"operator", "In"}}}}}), Error);
  EXPECT_THROW(Selector::from_json({{"matchExpressions", {{{"key", "a"}, {"operator", "Near"}}}}}), Error);
  EXPECT_THROW(Selector::from_json({{"matchLabel", {{"a", "b"}}}}), Error);
}

}  // namespace
}  // namespace skiff::manifest
