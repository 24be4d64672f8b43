// The request parser on its own: what it accepts, and every bound it enforces.
#include "api/http_message.hpp"

#include <gtest/gtest.h>

#include "api/router.hpp"

namespace skiff::api {
namespace {

RequestParser parse(const std::string& bytes, Limits l = {}, size_t step = 0) {
  RequestParser p(l);
  if (step == 0) {
    p.feed(bytes.data(), bytes.size());
  } else {
    for (size_t i = 0; i < bytes.size() && !p.done() && !p.failed(); i += step)
      p.feed(bytes.data() + i, std::min(step, bytes.size() - i));
  }
  return p;
}

TEST(HttpMessage, ARequestWithQueryAndBody) {
  std::string raw =
      "POST /api/v1/namespaces/shop/pods?labelSelector=app%3Dweb%2Ctier+in+(a)&watch=1 HTTP/1.1\r\n"
      "Host: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}";
  for (size_t step : {0u, 1u, 5u}) {
    auto p = parse(raw, {}, step);
    ASSERT_TRUE(p.done()) << step;
    Request r = p.take();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/api/v1/namespaces/shop/pods");
    EXPECT_EQ(*r.query_param("labelSelector"), "app=web,tier in (a)");
    EXPECT_TRUE(r.query_flag("watch"));
    EXPECT_FALSE(r.query_flag("follow"));
    EXPECT_EQ(*r.header("content-type"), "application/json");
    EXPECT_EQ(r.body, "{\"a\":1}");
    EXPECT_TRUE(r.keep_alive);
  }
}

TEST(HttpMessage, PipelinedRequestsAreTakenOneByOne) {
  std::string raw = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nConnection: close\r\n\r\n";
  RequestParser p;
  size_t used = p.feed(raw.data(), raw.size());
  ASSERT_TRUE(p.done());
  EXPECT_EQ(p.take().path, "/a");
  p.feed(raw.data() + used, raw.size() - used);
  ASSERT_TRUE(p.done());
  Request b = p.take();
  EXPECT_EQ(b.path, "/b");
  EXPECT_FALSE(b.keep_alive);
}

TEST(HttpMessage, ChunkedBodies) {
  std::string raw =
      "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-T: "
      "1\r\n\r\n";
  auto p = parse(raw, {}, 3);
  ASSERT_TRUE(p.done()) << p.error_message();
  EXPECT_EQ(p.take().body, "Wikipedia");
}

TEST(HttpMessage, EveryBoundHasItsStatus) {
  Limits l;
  l.max_request_line = 64;
  l.max_header_bytes = 128;
  l.max_headers = 4;
  l.max_body = 16;
  auto status = [&](const std::string& raw) {
    auto p = parse(raw, l, 7);
    return p.failed() ? p.error_status() : (p.done() ? 200 : 0);
  };
  EXPECT_EQ(status("GET /" + std::string(100, 'a') + " HTTP/1.1\r\n\r\n"), 414);
  EXPECT_EQ(status("GET /" + std::string(100, 'a')), 414);  // before the line even ends
  EXPECT_EQ(status("GET / HTTP/1.1\r\nX: " + std::string(200, 'b') + "\r\n\r\n"), 431);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\n\r\n"), 431);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n"), 413);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n11\r\n"), 413);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"), 400);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), 501);
  EXPECT_EQ(status("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(status("GET http://x/ HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(status("GET /%zz HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status("GET /%00 HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"), 200);
}

TEST(Router, ParametersLiteralsAndMethods) {
  Router r;
  std::string hit;
  r.add("GET", "/api/v1/namespaces/{namespace}/pods/{name}", [&](auto&) { hit = "pod"; });
  r.add("GET", "/api/v1/namespaces/{namespace}/{plural}/{name}", [&](auto&) { hit = "any"; });
  r.add("DELETE", "/api/v1/namespaces/{namespace}/pods/{name}", [&](auto&) { hit = "del"; });
  auto m = r.match("GET", "/api/v1/namespaces/shop/pods/web-1");
  ASSERT_TRUE(m.handler);
  (*m.handler)(nullptr);
  EXPECT_EQ(hit, "pod");  // the literal "pods" wins over {plural}
  EXPECT_EQ(m.params["namespace"], "shop");
  EXPECT_EQ(m.params["name"], "web-1");
  auto any = r.match("GET", "/api/v1/namespaces/shop/configmaps/c");
  ASSERT_TRUE(any.handler);
  EXPECT_EQ(any.params["plural"], "configmaps");
  auto put = r.match("PUT", "/api/v1/namespaces/shop/pods/web-1");
  EXPECT_FALSE(put.handler);
  EXPECT_EQ(put.allowed, (std::vector<std::string>{"GET", "DELETE"}));
  EXPECT_FALSE(r.match("GET", "/api/v1/namespaces/shop/pods").handler);
}

}  // namespace
}  // namespace skiff::api
