// resource.Quantity against Kubernetes' documented parsing and canonical forms (quantity_test.go's cases).
#include <gtest/gtest.h>

#include "manifest/quantity.hpp"

namespace skiff::manifest {
namespace {

std::string canon(const std::string& s) {
  std::string err;
  auto q = Quantity::parse(s, &err);
  return q ? q->str() : "error: " + err;
}

TEST(ManifestQuantity, CanonicalForms) {
  EXPECT_EQ(canon("250m"), "250m");
  EXPECT_EQ(canon("64Mi"), "64Mi");
  EXPECT_EQ(canon("1.5"), "1500m");
  EXPECT_EQ(canon("0.5"), "500m");
  EXPECT_EQ(canon("1000"), "1k");
  EXPECT_EQ(canon("1500"), "1500");
  EXPECT_EQ(canon("1e3"), "1e3");
  EXPECT_EQ(canon("1.5e3"), "1500");
  EXPECT_EQ(canon("1024Mi"), "1Gi");
  EXPECT_EQ(canon("1.5Gi"), "1536Mi");
  EXPECT_EQ(canon("0.5Ki"), "512");  // below 1024: shown in decimal
  EXPECT_EQ(canon("100m"), "100m");
  EXPECT_EQ(canon("0"), "0");
  EXPECT_EQ(canon("0Mi"), "0");
  EXPECT_EQ(canon("1000000"), "1M");
  EXPECT_EQ(canon("1500000"), "1500k");
  EXPECT_EQ(canon("1n"), "1n");
  EXPECT_EQ(canon("0.1n"), "1n") << "finer than a nano rounds up";
  EXPECT_EQ(canon("-1.5"), "-1500m");
  EXPECT_EQ(canon("12Mi"), "12Mi");
  EXPECT_EQ(canon("1E"), "1E");
  EXPECT_EQ(canon("10e3"), "10e3");
}

TEST(ManifestQuantity, Errors) {
  EXPECT_EQ(canon(""),
            "error: quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  EXPECT_EQ(canon("1 m"), canon(""));
  EXPECT_EQ(canon("abc"), canon(""));
  EXPECT_EQ(canon("1K"), "error: unable to parse quantity's suffix");
  EXPECT_EQ(canon("1Mb"), canon(""));
  EXPECT_EQ(canon("1e"), "error: unable to parse quantity's suffix");
}

TEST(ManifestQuantity, Values) {
  EXPECT_EQ(Quantity::parse("250m")->milli_value(), 250);
  EXPECT_EQ(Quantity::parse("250m")->value(), 1) << "Value() rounds up";
  EXPECT_EQ(Quantity::parse("64Mi")->value(), 64 << 20);
  EXPECT_EQ(Quantity::parse("1.5")->milli_value(), 1500);
  EXPECT_EQ(Quantity::parse("1n")->milli_value(), 1);
  EXPECT_EQ(Quantity::parse("8Ei")->value(), std::numeric_limits<int64_t>::max())
      << "binary values are capped";
  EXPECT_LT(*Quantity::parse("100m"), *Quantity::parse("1"));
  EXPECT_EQ(*Quantity::parse("1000m"), *Quantity::parse("1"));
}

TEST(ManifestQuantity, RoundUpToMilli) {
  Quantity q = *Quantity::parse("1.0001m");
  q.round_up_to_milli();
  EXPECT_EQ(q.str(), "2m");
  Quantity k = *Quantity::parse("100m");
  k.round_up_to_milli();
  EXPECT_EQ(k.str(), "100m");
}

}  // namespace
}  // namespace skiff::manifest
