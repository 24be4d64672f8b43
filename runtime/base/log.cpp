#include "log.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "error.hpp"

namespace skiff::log {
namespace {

int g_fd = -1;
std::string g_program = "skiff-runtime";
Format g_format = Format::text;
bool g_debug = false;

const char* level_name(Level l) {
  switch (l) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warning:
      return "warning";
    case Level::error:
      return "error";
  }
  return "info";
}

void emit_file(Level level, std::string_view msg) {
  if (g_fd < 0) return;
  std::string line;
  if (g_format == Format::json) {
    nlohmann::json j = {{"level", level_name(level)}, {"msg", msg}, {"time", rfc3339_now()}};
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = "time=\"" + rfc3339_now() + "\" level=" + level_name(level) + " msg=\"" + std::string(msg) + "\"";
  }
  line += '\n';
  // One write() per line so concurrent writers never interleave inside a line (O_APPEND).
  (void)!::write(g_fd, line.data(), line.size());
}

}  // namespace

void init(const std::string& path, Format format, bool debug) {
  g_format = format;
  g_debug = debug;
  if (path.empty()) return;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("open log file " + path);
  g_fd = fd;
}

void set_program(std::string_view name) {
  g_program = name;
}

void write(Level level, std::string_view msg) {
  if (level == Level::debug && !g_debug) return;
  emit_file(level, msg);
  if (g_fd < 0 && level != Level::error) {
    // Without a log file, warnings (and debug when asked) go to stderr, as runc does.
    if (level == Level::warning || g_debug)
      std::fprintf(stderr, "%s: %s: %.*s\n", g_program.c_str(), level_name(level),
                   static_cast<int>(msg.size()), msg.data());
  }
}

void fatal(std::string_view program, std::string_view action, std::string_view id, std::string_view reason) {
  std::string line(program);
  line += ": ";
  line += action;
  if (!id.empty()) {
    line += ' ';
    line += id;
  }
  line += ": ";
  line += reason;
  emit_file(Level::error, line.substr(program.size() + 2));
  line += '\n';
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

std::string rfc3339(long sec, long nsec) {
  time_t t = sec;
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof buf - n, ".%09ldZ", nsec);
  return buf;
}

std::string rfc3339_now() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return rfc3339(ts.tv_sec, ts.tv_nsec);
}

}  // namespace skiff::log
