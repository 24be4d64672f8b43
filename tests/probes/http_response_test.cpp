// The HTTP response parser: what servers send, well and badly, fed whole and byte by byte.
#include "http_response.hpp"

#include <gtest/gtest.h>

namespace skiff::probes {
namespace {

using State = HttpResponseParser::State;

// Parses `text` in pieces of `step` bytes (0: at once), then EOF if `close`.
HttpResponseParser parse(const std::string& text, size_t step = 0, bool close = true) {
  HttpResponseParser p;
  if (step == 0) {
    p.feed(text);
  } else {
    for (size_t i = 0; i < text.size() && !p.finished(); i += step)
      p.feed(std::string_view(text).substr(i, step));
  }
  if (close) p.eof();
  return p;
}

TEST(HttpResponse, ContentLengthBodyAnyPieceSize) {
  const std::string r = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Other: y\r\n\r\nhelloEXTRA";
  for (size_t step : {0, 1, 2, 7}) {
    auto p = parse(r, step, /*close=*/false);
    ASSERT_EQ(p.state(), State::done) << step;
    EXPECT_EQ(p.status(), 200);
    EXPECT_EQ(p.body(), "hello");
    EXPECT_FALSE(p.body_truncated());
  }
}

TEST(HttpResponse, BareLineFeedsAndCaseInsensitiveNames) {
  auto p = parse("HTTP/1.0 302 Found\nLOCATION: /next\ncontent-length: 0\n\n", 0, false);
  ASSERT_EQ(p.state(), State::done);
  EXPECT_EQ(p.status(), 302);
  EXPECT_EQ(p.location(), "/next");
}

TEST(HttpResponse, ChunkedBody) {
  const std::string r =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-T: "
      "1\r\n\r\n";
  for (size_t step : {0, 1, 3}) {
    auto p = parse(r, step, false);
    ASSERT_EQ(p.state(), State::done) << step << " " << p.error();
    EXPECT_EQ(p.body(), "hello, world");
  }
}

TEST(HttpResponse, BodyUntilEof) {
  auto open = parse("HTTP/1.1 500 Oops\r\n\r\npartial", 0, false);
  EXPECT_EQ(open.state(), State::body);
  auto closed = parse("HTTP/1.1 500 Oops\r\n\r\npartial", 0, true);
  EXPECT_EQ(closed.state(), State::done);
  EXPECT_EQ(closed.status(), 500);
  EXPECT_EQ(closed.body(), "partial");
}

TEST(HttpResponse, HugeBodyStopsAt10KiB) {
  std::string big(HttpResponseParser::kMaxBody * 5, 'x');
  auto p = parse("HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n" + big, 4096, false);
  ASSERT_EQ(p.state(), State::done);
  EXPECT_EQ(p.body().size(), HttpResponseParser::kMaxBody);
  EXPECT_TRUE(p.body_truncated());
}

TEST(HttpResponse, NoBodyStatuses) {
  for (int code : {204, 304, 101}) {
    auto p = parse("HTTP/1.1 " + std::to_string(code) + " X\r\nContent-Length: 10\r\n\r\n", 0, false);
    EXPECT_EQ(p.state(), State::done) << code;
    EXPECT_EQ(p.status(), code);
  }
}

TEST(HttpResponse, InformationalResponsesAreSkipped) {
  auto p = parse(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
      0, false);
  ASSERT_EQ(p.state(), State::done);
  EXPECT_EQ(p.status(), 201);
  EXPECT_EQ(p.body(), "ok");
  std::string many;
  for (int i = 0; i < 6; ++i) many += "HTTP/1.1 100 Continue\r\n\r\n";
  auto q = parse(many, 0, false);
  EXPECT_EQ(q.state(), State::failed);
  EXPECT_EQ(q.error(), "net/http: too many 1xx informational responses");
}

TEST(HttpResponse, GarbageIsAFailureNamingWhatCame) {
  auto p = parse("garbage\r\n\r\n");
  ASSERT_EQ(p.state(), State::failed);
  EXPECT_EQ(p.error(), "malformed HTTP response \"garbage\"");
  EXPECT_FALSE(p.failed_in_body());
  auto bin = parse(std::string("\x16\x03\x01 \x00\x02\n", 8));
  EXPECT_EQ(bin.error(), "malformed HTTP status code \"\\x00\\x02\"");
  EXPECT_EQ(parse("HTTP/1.1 20 OK\r\n\r\n").error(), "malformed HTTP status code \"20\"");
  EXPECT_EQ(parse("HTTX/1.1 200 OK\r\n\r\n").error(), "malformed HTTP version \"HTTX/1.1\"");
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n").error(),
            "malformed MIME header line: no colon here");
}

TEST(HttpResponse, EndlessHeaderIsBounded) {
  HttpResponseParser p;
  p.feed("HTTP/1.1 200 OK\r\nX-Endless: ");
  std::string chunk(64 * 1024, 'a');
  size_t fed = 0;
  while (!p.finished() && fed < 2 * HttpResponseParser::kMaxHeaderBytes) {
    p.feed(chunk);
    fed += chunk.size();
  }
  ASSERT_EQ(p.state(), State::failed);
  EXPECT_EQ(p.error(), "net/http: server response headers exceeded 10485760 bytes; aborted");
  EXPECT_LE(fed, HttpResponseParser::kMaxHeaderBytes + chunk.size());
}

TEST(HttpResponse, ManyHeadersAreFineUntilTheLimit) {
  std::string r = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 1000; ++i) r += "X-H" + std::to_string(i) + ": " + std::string(100, 'v') + "\r\n";
  r += "Content-Length: 1\r\n\r\nk";
  auto p = parse(r, 0, false);
  ASSERT_EQ(p.state(), State::done);
  EXPECT_EQ(p.body(), "k");
}

TEST(HttpResponse, FramingErrors) {
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n").error(), "bad Content-Length \"abc\"");
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").error(),
            "http: message cannot contain multiple Content-Length headers; got \"2\"");
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n").error(),
            "unsupported transfer encoding: \"gzip\"");
  auto bad_chunk = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  EXPECT_EQ(bad_chunk.error(), "invalid byte in chunk length");
  EXPECT_TRUE(bad_chunk.failed_in_body());
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(5000, '1')).error(),
            "header line too long");
}

TEST(HttpResponse, EofCases) {
  EXPECT_EQ(parse("").error(), "EOF");
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\n").error(), "unexpected EOF");
  auto short_body = parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_EQ(short_body.error(), "unexpected EOF");
  EXPECT_TRUE(short_body.failed_in_body());
  EXPECT_EQ(short_body.status(), 200);
}

}  // namespace
}  // namespace skiff::probes
