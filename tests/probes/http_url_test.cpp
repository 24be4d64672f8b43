// Probe URLs and redirect targets.
#include "http_url.hpp"

#include <gtest/gtest.h>

namespace skiff::probes {
namespace {

TEST(HttpUrl, ProbeUrlAsFormatUrlBuildsIt) {
  auto u = probe_url(false, "10.0.0.5", 8080, "/healthz");
  EXPECT_EQ(u.str(), "http://10.0.0.5:8080/healthz");
  EXPECT_EQ(u.authority(), "10.0.0.5:8080");
  EXPECT_EQ(probe_url(true, "fd00::1", 443, "/").str(), "https://[fd00::1]:443/");
  EXPECT_EQ(probe_url(false, "h", 80, "healthz").target, "/healthz");
  EXPECT_EQ(probe_url(false, "h", 80, "/a b?q=x y#frag").target, "/a%20b?q=x%20y");
  EXPECT_EQ(probe_url(false, "h", 80, "/ok%20/100%").target, "/ok%20/100%25");
  EXPECT_EQ(probe_url(false, "h", 80, "/r\xc3\xa9sum\xc3\xa9").target, "/r%C3%A9sum%C3%A9");
  EXPECT_EQ(probe_url(false, "h", 80, "/x\r\nInjected: 1").target, "/x%0D%0AInjected:%201");
  // An absolute URL in the path: formatURL keeps its path and query, and replaces the rest.
  EXPECT_EQ(probe_url(false, "10.0.0.5", 81, "http://elsewhere:9/p?q").str(), "http://10.0.0.5:81/p?q");
}

TEST(HttpUrl, ResolveLocation) {
  auto base = probe_url(false, "10.0.0.5", 8080, "/a/b/c?x=1");
  auto r = [&](const char* loc) {
    auto u = resolve_location(base, loc);
    return u ? u->str() : std::string("(none)");
  };
  EXPECT_EQ(r("/next"), "http://10.0.0.5:8080/next");
  EXPECT_EQ(r("d"), "http://10.0.0.5:8080/a/b/d");
  EXPECT_EQ(r("../d?y=2"), "http://10.0.0.5:8080/a/d?y=2");
  EXPECT_EQ(r("./"), "http://10.0.0.5:8080/a/b/");
  EXPECT_EQ(r("?z"), "http://10.0.0.5:8080/a/b/c?z");
  EXPECT_EQ(r(""), "http://10.0.0.5:8080/a/b/c?x=1");
  EXPECT_EQ(r("#top"), "http://10.0.0.5:8080/a/b/c?x=1");
  EXPECT_EQ(r("https://10.0.0.5/secure"), "https://10.0.0.5/secure");
  EXPECT_EQ(r("//other.example:99/x"), "http://other.example:99/x");
  EXPECT_EQ(r("HTTP://user:pw@[fd00::2]:8443/v6"), "http://[fd00::2]:8443/v6");
  EXPECT_EQ(r("http://host:99999/x"), "(none)");
  EXPECT_EQ(r("http://ho st/x"), "(none)");
  auto https = resolve_location(base, "https://10.0.0.5/secure");
  ASSERT_TRUE(https);
  EXPECT_EQ(https->port, 443);
  EXPECT_FALSE(https->port_given);
  EXPECT_EQ(https->authority(), "10.0.0.5");
  auto other = resolve_location(base, "ftp://10.0.0.5/f");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->scheme, "ftp");
}

}  // namespace
}  // namespace skiff::probes
