// Helpers for the manifest tests: parse a YAML text and pick out objects and diagnostics.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "manifest/manifest.hpp"

namespace skiff::manifest::test {

inline ParseResult parse(const std::string& yaml, const std::string& file = "t.yaml") {
  ParseOptions o;
  o.file = file;
  return parse_manifests(yaml, o);
}

// The only object of a valid input, as T; fails the test otherwise.
template <typename T>
T parse_one(const std::string& yaml) {
  ParseResult r = parse(yaml);
  EXPECT_TRUE(r.ok()) << r.error_text();
  EXPECT_EQ(r.objects.size(), 1u);
  if (r.objects.empty()) return T{};
  const T* t = std::get_if<T>(&r.objects[0].object);
  EXPECT_NE(t, nullptr);
  return t ? *t : T{};
}

// The error text of an invalid input (every line), empty when it parsed.
inline std::string errors_of(const std::string& yaml) {
  ParseResult r = parse(yaml);
  if (r.ok()) return "";
  EXPECT_TRUE(r.objects.empty()) << "errors, yet objects were returned";
  return r.error_text();
}

inline std::string warnings_of(const ParseResult& r) {
  std::string out;
  for (const Diagnostic& w : r.warnings) out += w.str() + "\n";
  return out;
}

inline std::string read_testdata(const std::string& name) {
  std::ifstream f(std::string(SKIFF_MANIFEST_TESTDATA) + "/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A minimal valid pod with `extra` spliced into its only container (indented 4) and `spec_extra` into
// its spec (indented 2).
inline std::string pod_yaml(const std::string& container_extra = "", const std::string& spec_extra = "") {
  return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n" + spec_extra +
         "  containers:\n  - name: c\n    image: busybox:1\n" + container_extra;
}

}  // namespace skiff::manifest::test
