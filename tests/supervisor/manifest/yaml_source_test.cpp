// YAML -> JSON as kubectl reads it (YAML 1.1 scalars through go-yaml v2), positions, and hostile input.
#include <gtest/gtest.h>

#include "manifest/yaml_scalar.hpp"
#include "manifest/yaml_source.hpp"
#include "manifest_test_util.hpp"

namespace skiff::manifest {
namespace {

nlohmann::json read_one(const std::string& text, std::string* error = nullptr) {
  Diagnostics d;
  d.set_source("t.yaml", nullptr);
  auto docs = read_documents(text, d);
  if (error) *error = d.error_text();
  if (docs.empty()) return nullptr;
  return docs[0].value;
}

TEST(ManifestYaml, Yaml11ScalarsAsGoYamlV2ResolvesThem) {
  nlohmann::json j = read_one(
      "octal: 0644\nhex: 0x1F\nexp: 1e3\nunderscore: 1_000\nyes: yes\noff: Off\nyv: y\nquoted: \"0644\"\n"
      "single: 'yes'\nnull1: ~\nnull2:\nfloat: 1.5\nneg: -0x10\nbin: 0b101\nbig: 18446744073709551615\n"
      "str: hello\neight: 08\ndate: 2024-01-02\nplus: +12\ndot: .5\n");
  EXPECT_EQ(j["octal"], 420);
  EXPECT_EQ(j["hex"], 31);
  EXPECT_TRUE(j["exp"].is_number_float());
  EXPECT_EQ(j["exp"].get<double>(), 1000.0);
  EXPECT_EQ(j["underscore"], 1000);
  EXPECT_EQ(j["true"], true) << "a plain `yes` key becomes the key \"true\" (sigs.k8s.io/yaml)";
  EXPECT_EQ(j["false"], false);
  EXPECT_EQ(j["yv"], true) << "go-yaml v2 reads a plain y as true";
  EXPECT_EQ(j["quoted"], "0644");
  EXPECT_EQ(j["single"], "yes");
  EXPECT_TRUE(j["null1"].is_null());
  EXPECT_TRUE(j["null2"].is_null());
  EXPECT_EQ(j["float"], 1.5);
  EXPECT_EQ(j["neg"], -16);
  EXPECT_EQ(j["bin"], 5);
  EXPECT_TRUE(j["big"].is_number_unsigned());
  EXPECT_EQ(j["str"], "hello");
  EXPECT_EQ(j["eight"], 8.0) << "08 is no octal: go-yaml falls back to a float";
  EXPECT_EQ(j["date"], "2024-01-02");
  EXPECT_EQ(j["plus"], 12);
  EXPECT_EQ(j["dot"], 0.5);
}

TEST(ManifestYaml, KeysBecomeStringsAsSigsYamlMakesThem) {
  nlohmann::json j = read_one("1: a\n1.5: b\non: c\n\"quoted\": e\n");
  EXPECT_EQ(j["1"], "a");
  EXPECT_EQ(j["1.5"], "b");
  EXPECT_EQ(j["true"], "c");
  EXPECT_EQ(j["quoted"], "e");
  // `true` and `on` both resolve to the boolean true: a duplicate key
  std::string err;
  read_one("true: c\non: d\n", &err);
  EXPECT_NE(err.find("duplicate key \"true\""), std::string::npos) << err;
}

TEST(ManifestYaml, InfinityAndNanAreRefusedWithPosition) {
  std::string err;
  read_one("a: 1\nb: .inf\n", &err);
  EXPECT_NE(err.find("t.yaml:2:4: YAML reads .inf as a float"), std::string::npos) << err;
}

TEST(ManifestYaml, ExplicitTags) {
  nlohmann::json j = read_one("a: !!str 123\nb: !!int \"7\"\nc: !!float 1\n");
  EXPECT_EQ(j["a"], "123");
  EXPECT_EQ(j["b"], 7);
  EXPECT_TRUE(j["c"].is_number_float());
  std::string err;
  read_one("a: !!int abc\n", &err);
  EXPECT_NE(err.find("cannot read \"abc\" as int"), std::string::npos) << err;
  read_one("a: !custom x\n", &err);
  EXPECT_NE(err.find("unsupported YAML tag"), std::string::npos) << err;
}

TEST(ManifestYaml, MergeKeysAndAliases) {
  nlohmann::json j = read_one("base: &b {p: 1, q: 2}\nd:\n  <<: *b\n  q: 3\nlist: [*b, *b]\n");
  EXPECT_EQ(j["d"]["p"], 1);
  EXPECT_EQ(j["d"]["q"], 3) << "the mapping's own key wins over the merged one";
  EXPECT_EQ(j["list"].size(), 2u);
  EXPECT_EQ(j["list"][1]["q"], 2);
  // YAML 1.1: a plain `y` key is the boolean true
  EXPECT_EQ(read_one("{x: 1, y: 2}")["true"], 2);
}

TEST(ManifestYaml, MultiDocumentJsonAndEmptyDocuments) {
  Diagnostics d;
  auto docs =
      read_documents("---\n# only a comment\n---\na: 1\n---\n---\n{\"b\": [1, 2],\t\"c\": \"x\"}\n", d);
  ASSERT_FALSE(d.has_errors()) << d.error_text();
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].value["a"], 1);
  EXPECT_EQ(docs[1].value["b"][1], 2);
  EXPECT_EQ(docs[1].value["c"], "x");
}

TEST(ManifestYaml, PositionsOfKeysAndValues) {
  Diagnostics d;
  auto docs = read_documents("a: 1\nspec:\n  items:\n  - name: x\n    port: 80\n", d);
  ASSERT_EQ(docs.size(), 1u);
  const PositionMap& pm = docs[0].positions;
  SourcePos v = pm.locate("/spec/items/0/port", false);
  EXPECT_EQ(v.line, 5);
  EXPECT_EQ(v.column, 11);
  SourcePos k = pm.locate("/spec/items/0/port", true);
  EXPECT_EQ(k.line, 5);
  EXPECT_EQ(k.column, 5);
  // a path the document lacks resolves to its nearest ancestor's key
  SourcePos missing = pm.locate("/spec/items/0/protocol", false);
  EXPECT_EQ(missing.line, 4);
}

TEST(ManifestYaml, MalformedDocumentIsOneErrorWithLineAndColumn) {
  Diagnostics d;
  d.set_source("bad.yaml", nullptr);
  auto docs = read_documents("a: 1\nb: [1, 2\nc: 3\n", d);
  EXPECT_TRUE(docs.empty());
  ASSERT_EQ(d.errors().size(), 1u);
  const Diagnostic& e = d.errors()[0];
  EXPECT_GT(e.pos.line, 1);
  EXPECT_NE(e.str().find("bad.yaml:"), std::string::npos);
  EXPECT_NE(e.message.find("YAML syntax error"), std::string::npos) << e.str();
}

TEST(ManifestYaml, DuplicateKeysAreErrors) {
  std::string err;
  read_one("a: 1\nb: 2\na: 3\n", &err);
  EXPECT_NE(err.find("t.yaml:3:1: duplicate key \"a\""), std::string::npos) << err;
}

TEST(ManifestYaml, HostileInputGivesOneClearError) {
  struct Case {
    std::string text, expect;
  };
  std::string deep(100000, '[');
  std::string deep_block;
  for (int i = 0; i < 300; ++i) deep_block += std::string(i, ' ') + "k:\n";
  std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string prev(1, static_cast<char>(c - 1)), refs;
    for (int i = 0; i < 10; ++i) refs += (i ? ", *" : "*") + prev;
    laughs += std::string(1, c) + ": &" + std::string(1, c) + " [" + refs + "]\n";
  }
  std::string big_string = "a: &s \"" + std::string(1 << 20, 'x') + "\"\nb: [*s, *s, *s, *s]\n";
  std::vector<Case> cases = {
      {deep, "nested too deeply"},
      {deep_block, "nested more than 128 levels deep"},
      {laughs, "(after expanding aliases)"},
      {big_string, "larger than 3145728 bytes"},
      {std::string("a: b\0c\n", 7), "NUL byte"},
      {"a: \xff\xfe\n", "invalid UTF-8"},
      {"a: \xc0\xaf\n", "invalid UTF-8"},  // an overlong '/'
      {"a: \x1b[31m\n", "control character 27"},
      {std::string(17u << 20, '#'), "input is larger than"},
  };
  for (const Case& c : cases) {
    Diagnostics d;
    auto docs = read_documents(c.text, d);
    EXPECT_TRUE(docs.empty()) << c.expect;
    ASSERT_EQ(d.error_count(), 1u) << c.expect << ": " << d.error_text();
    EXPECT_NE(d.error_text().find(c.expect), std::string::npos) << d.error_text();
  }
}

TEST(ManifestYaml, GoFloatFormats) {
  EXPECT_EQ(go_json_float(1000.0), "1000");
  EXPECT_EQ(go_json_float(1.5), "1.5");
  EXPECT_EQ(go_json_float(1e21), "1e+21");
  EXPECT_EQ(go_json_float(1e-7), "1e-7");
  EXPECT_EQ(go_json_float(0.000001), "0.000001");
  EXPECT_EQ(go_float_key(1000.0), "1000");
  EXPECT_EQ(go_float_key(1e6), "1e+06");
  EXPECT_EQ(go_float_key(0.5), "0.5");
}

}  // namespace
}  // namespace skiff::manifest
