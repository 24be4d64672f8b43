#include "controller/time_util.hpp"

#include <cstdio>
#include <ctime>

namespace skiff::controller {

std::optional<WallTime> parse_time(const manifest::Time& t) {
  const std::string& s = t.rfc3339;
  int year, mon, day, hour, min, sec, used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &mon, &day, &hour, &min, &sec, &used) != 6)
    return std::nullopt;
  size_t i = static_cast<size_t>(used);
  long nanos = 0;
  if (i < s.size() && s[i] == '.') {
    long scale = 100000000;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, scale /= 10) nanos += (s[i] - '0') * scale;
  }
  long offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset = (s[i] == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size() || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
    return std::nullopt;
  struct tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  time_t epoch = timegm(&tm) - offset;
  return WallTime(std::chrono::seconds(epoch)) +
         std::chrono::duration_cast<WallTime::duration>(std::chrono::nanoseconds(nanos));
}

manifest::Time to_time(WallTime t) {
  time_t secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  if (t.time_since_epoch() < std::chrono::duration_cast<WallTime::duration>(std::chrono::seconds(secs)))
    --secs;
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return manifest::Time{buf};
}

}  // namespace skiff::controller
