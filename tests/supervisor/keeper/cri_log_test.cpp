// The CRI log format on real files: lines as containerd writes them, rotation, and reading back as the
// kubelet does (tail, since, timestamps, partial lines joined, following across rotation).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <regex>
#include <string>
#include <vector>

#include "error.hpp"
#include "file_util.hpp"
#include "keeper/cri_log.hpp"
#include "keeper/cri_log_reader.hpp"

namespace skiff::keeper {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/skiff-cri-log-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Chunk {
  bool partial;
  std::string text;
  bool operator==(const Chunk& o) const { return partial == o.partial && text == o.text; }
};

std::vector<Chunk> split(const std::vector<std::string>& pieces, bool finish = true) {
  CriLineSplitter s;
  std::vector<Chunk> out;
  auto emit = [&](bool partial, std::string_view t) { out.push_back({partial, std::string(t)}); };
  for (const auto& p : pieces) s.feed(p, emit);
  if (finish) s.finish(emit);
  return out;
}

// Reader options: the defaults changed by `set`.
CriReadOptions read_options(const std::function<void(CriReadOptions&)>& set) {
  CriReadOptions o;
  set(o);
  return o;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::string data = read_file(path);
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    lines.push_back(data.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

std::string read_all(CriLogReader& r) {
  std::string out;
  r.read_available([&](std::string_view s) { out.append(s); });
  return out;
}

TEST(CriTimestamp, GoRfc3339NanoInUtcWithTrailingZerosDropped) {
  const int64_t t = 1796205600LL * 1000000000;  // 2026-12-02T10:00:00Z
  EXPECT_EQ(cri_timestamp(t), "2026-12-02T10:00:00Z");
  EXPECT_EQ(cri_timestamp(t + 123456789), "2026-12-02T10:00:00.123456789Z");
  EXPECT_EQ(cri_timestamp(t + 120000000), "2026-12-02T10:00:00.12Z");
  EXPECT_EQ(cri_timestamp(t + 1000), "2026-12-02T10:00:00.000001Z");
  EXPECT_EQ(parse_rfc3339(cri_timestamp(t + 1000)), t + 1000);
}

TEST(CriTimestamp, ParsesOffsetsAndRejectsJunk) {
  const int64_t t = 1796205600LL * 1000000000;
  EXPECT_EQ(parse_rfc3339("2026-12-02T12:00:00.5+02:00"), t + 500000000);
  EXPECT_EQ(parse_rfc3339("2026-12-02T09:30:00-00:30"), t);
  EXPECT_FALSE(parse_rfc3339("2026-12-02 10:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-12-02T10:00:00"));
  EXPECT_FALSE(parse_rfc3339("2026-12-02T10:00:00.Z"));
  EXPECT_FALSE(parse_rfc3339("2026-13-02T10:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-12-02T10:00:00Zjunk"));
}

TEST(CriLineSplitter, LinesEndAtNewlineOrCrLfAndTheRestIsPartialAtTheEnd) {
  EXPECT_EQ(split({"a\nb\r\nc"}), (std::vector<Chunk>{{false, "a"}, {false, "b"}, {true, "c"}}));
  EXPECT_EQ(split({"\n\n"}), (std::vector<Chunk>{{false, ""}, {false, ""}}));
  // A lone '\r' inside a line is text; "\r\n" split across two reads is still one line end.
  EXPECT_EQ(split({"x\ry\r", "\nz\n"}), (std::vector<Chunk>{{false, "x\ry"}, {false, "z"}}));
  // Without finish (the stream is still open) an unfinished line is held back.
  EXPECT_EQ(split({"no newline yet"}, false), std::vector<Chunk>{});
}

TEST(CriLineSplitter, LongLinesAreCutInto16KiBPartialLines) {
  const size_t max = kMaxCriLineSize;
  EXPECT_EQ(split({std::string(max, 'a') + "\n"}), (std::vector<Chunk>{{false, std::string(max, 'a')}}));
  EXPECT_EQ(split({std::string(max + 1, 'b') + "\n"}),
            (std::vector<Chunk>{{true, std::string(max, 'b')}, {false, "b"}}));
  std::string big(40000, 'c');
  auto whole = split({big + "\nnext\n"});
  ASSERT_EQ(whole.size(), 4u);
  EXPECT_EQ(whole[0], (Chunk{true, std::string(max, 'c')}));
  EXPECT_EQ(whole[1], (Chunk{true, std::string(max, 'c')}));
  EXPECT_EQ(whole[2], (Chunk{false, std::string(40000 - 2 * max, 'c')}));
  EXPECT_EQ(whole[3], (Chunk{false, "next"}));
  // The same bytes a few at a time give the same lines.
  std::vector<std::string> bytes;
  std::string all = big + "\nnext\n";
  for (size_t i = 0; i < all.size(); i += 7) bytes.push_back(all.substr(i, 7));
  EXPECT_EQ(split(bytes), whole);
}

TEST(CriLogWriter, WritesCriLinesWithBothStreams) {
  TempDir dir;
  std::string path = dir.path() + "/ns_pod_uid/c/0.log";  // parents are created
  {
    CriLogWriter w(path, {});
    w.write_line(realtime_ns(), Stream::kStdout, false, "hello world");
    w.write_line(realtime_ns(), Stream::kStderr, true, "half");
    w.write_line(realtime_ns(), Stream::kStderr, false, "");
  }
  auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 3u);
  std::regex ts("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,9})?Z ");
  for (const auto& l : lines) EXPECT_TRUE(std::regex_search(l, ts)) << l;
  EXPECT_NE(lines[0].find(" stdout F hello world"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find(" stderr P half"), std::string::npos) << lines[1];
  EXPECT_EQ(lines[2].substr(lines[2].size() - 10), " stderr F ") << lines[2];
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(CriLogWriter, RotatesBeforeALineWouldPassTheLimitAndKeepsMaxFiles) {
  TempDir dir;
  std::string path = dir.path() + "/0.log";
  CriLogWriter w(path, {.max_size = 200, .max_files = 3});
  for (int i = 0; i < 40; ++i)
    w.write_line(realtime_ns(), Stream::kStdout, false, "line " + std::to_string(i));
  struct stat st;
  for (unsigned n = 0; n < 3; ++n) {
    ASSERT_EQ(::stat(rotated_path(path, n).c_str(), &st), 0) << n;
    EXPECT_LE(st.st_size, 200) << n;
    EXPECT_GT(st.st_size, 100) << n;  // each file got as much as fits
  }
  EXPECT_NE(::stat(rotated_path(path, 3).c_str(), &st), 0);
  // Oldest to newest, the kept lines are the last ones written, in order, none twice.
  std::vector<std::string> texts;
  for (int n = 2; n >= 0; --n)
    for (const auto& l : read_lines(rotated_path(path, unsigned(n)))) {
      CriMessage m;
      ASSERT_TRUE(parse_cri_line(l, &m)) << l;
      texts.emplace_back(m.text);
    }
  ASSERT_FALSE(texts.empty());
  EXPECT_EQ(texts.back(), "line 39");
  int first = std::stoi(texts.front().substr(5));
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(texts[i], "line " + std::to_string(first + int(i)));
  EXPECT_EQ(w.dropped_lines(), 0u);
}

TEST(CriLogWriter, ALineBiggerThanTheLimitStillGoesIntoAFileOfItsOwn) {
  TempDir dir;
  std::string path = dir.path() + "/0.log";
  CriLogWriter w(path, {.max_size = 50, .max_files = 2});
  w.write_line(realtime_ns(), Stream::kStdout, false, "short");
  w.write_line(realtime_ns(), Stream::kStdout, false, std::string(100, 'x'));
  EXPECT_EQ(read_lines(path).size(), 1u);
  EXPECT_NE(read_lines(path)[0].find(std::string(100, 'x')), std::string::npos);
  EXPECT_NE(read_lines(path + ".1")[0].find("short"), std::string::npos);
}

TEST(CriParse, MessagesAndMalformedLines) {
  CriMessage m;
  ASSERT_TRUE(parse_cri_line("2026-12-02T10:00:00.5Z stderr P some text", &m));
  EXPECT_EQ(m.stream, Stream::kStderr);
  EXPECT_TRUE(m.partial);
  EXPECT_EQ(m.text, "some text");
  ASSERT_TRUE(parse_cri_line("2026-12-02T10:00:00Z stdout F:x ", &m));  // tags after ':' are ignored
  EXPECT_FALSE(m.partial);
  EXPECT_EQ(m.text, "");
  std::string why;
  EXPECT_FALSE(parse_cri_line("garbage", &m, &why));
  EXPECT_FALSE(parse_cri_line("2026-12-02T10:00:00Z stdin F x", &m, &why));
  EXPECT_EQ(why, "unknown stream");
  EXPECT_FALSE(parse_cri_line("2026-12-02T10:00:00Z stdout Q x", &m, &why));
  EXPECT_EQ(why, "unknown tag");
}

// A log with known times: line i at base + i seconds.
std::string write_known_log(const std::string& dir, int n, CriLogLimits limits = {}) {
  std::string path = dir + "/0.log";
  CriLogWriter w(path, limits);
  const int64_t base = 1796205600LL * 1000000000;
  for (int i = 0; i < n; ++i)
    w.write_line(base + int64_t(i) * 1000000000, i % 2 ? Stream::kStderr : Stream::kStdout, false,
                 "m" + std::to_string(i));
  return path;
}

TEST(CriLogReader, PrintsMessagesWithTimestampsTailAndSince) {
  TempDir dir;
  std::string path = write_known_log(dir.path(), 6);
  {
    CriLogReader r(path, {});
    EXPECT_EQ(read_all(r), "m0\nm1\nm2\nm3\nm4\nm5\n");
  }
  {
    CriLogReader r(path, read_options([&](CriReadOptions& o) {
                     o.tail = 2;
                     o.timestamps = true;
                   }));
    EXPECT_EQ(read_all(r), "2026-12-02T10:00:04.000000000Z m4\n2026-12-02T10:00:05.000000000Z m5\n");
  }
  {
    CriLogReader r(path, read_options([&](CriReadOptions& o) { o.tail = 0; }));
    EXPECT_EQ(read_all(r), "");
  }
  {
    CriLogReader r(path, read_options([&](CriReadOptions& o) { o.tail = 100; }));
    EXPECT_EQ(read_all(r), "m0\nm1\nm2\nm3\nm4\nm5\n");
  }
  {
    CriLogReader r(
        path, read_options([&](CriReadOptions& o) { o.since_ns = *parse_rfc3339("2026-12-02T10:00:03Z"); }));
    EXPECT_EQ(read_all(r), "m3\nm4\nm5\n");
  }
  {
    CriLogReader r(path, read_options([&](CriReadOptions& o) { o.stdout_lines = false; }));
    EXPECT_EQ(read_all(r), "m1\nm3\nm5\n");
  }
  EXPECT_THROW(CriLogReader(dir.path() + "/missing.log", {}), skiff::Error);
}

TEST(CriLogReader, PartialLinesComeOutWholeAndJunkIsSkipped) {
  TempDir dir;
  std::string path = dir.path() + "/0.log";
  write_file_atomic(path,
                    "2026-12-02T10:00:00Z stdout P abc\n"
                    "not a cri line\n"
                    "2026-12-02T10:00:00Z stdout P def\n"
                    "2026-12-02T10:00:00Z stdout F ghi\n"
                    "2026-12-02T10:00:01Z stdout P tail without newline\n");
  CriLogReader r(path, {});
  EXPECT_EQ(read_all(r), "abcdefghi\ntail without newline");
  EXPECT_EQ(r.malformed_lines(), 1u);
}

TEST(CriLogReader, TailReachesIntoRotatedFilesOldestFirst) {
  TempDir dir;
  std::string path = write_known_log(dir.path(), 30, {.max_size = 200, .max_files = 4});
  struct stat st;
  ASSERT_EQ(::stat((path + ".3").c_str(), &st), 0);
  size_t current = read_lines(path).size();
  uint64_t n = current + 2;  // the whole current file and two lines of the one before
  CriLogReader r(path, read_options([&](CriReadOptions& o) {
                   o.tail = n;
                   o.max_files = 4;
                 }));
  std::string expect;
  for (int i = 30 - int(n); i < 30; ++i) expect += "m" + std::to_string(i) + "\n";
  EXPECT_EQ(read_all(r), expect);
  // Without a tail, all four files are read, oldest first, ending with the last line.
  CriLogReader all(path, read_options([&](CriReadOptions& o) { o.max_files = 4; }));
  std::string out = read_all(all);
  EXPECT_EQ(out.substr(out.size() - 4), "m29\n");
  CriLogReader current_only(path, read_options([&](CriReadOptions& o) {
                              o.include_rotated = false;
                              o.max_files = 4;
                            }));
  std::string only = read_all(current_only);
  EXPECT_EQ(size_t(std::count(only.begin(), only.end(), '\n')), current);
  EXPECT_EQ(only.substr(only.size() - 4), "m29\n");
}

TEST(CriLogReader, FollowsAcrossRotationWithoutLosingOrRepeatingALine) {
  TempDir dir;
  std::string path = dir.path() + "/0.log";
  CriLogWriter w(path, {.max_size = 300, .max_files = 3});
  CriLogReader r(path, read_options([&](CriReadOptions& o) { o.max_files = 3; }));
  int fd = r.notify_fd();
  ASSERT_GE(fd, 0);
  std::string got;
  int written = 0;
  for (int round = 0; round < 20; ++round) {
    // Fewer lines per round than two files hold: a follower that reads between rounds sees them all.
    for (int i = 0; i < 7; ++i)
      w.write_line(realtime_ns(), Stream::kStdout, false, "n" + std::to_string(written++));
    r.drain_notify();
    r.read_available([&](std::string_view s) { got.append(s); });
  }
  std::string expect;
  for (int i = 0; i < written; ++i) expect += "n" + std::to_string(i) + "\n";
  EXPECT_EQ(got, expect);
}

}  // namespace
}  // namespace skiff::keeper
