#include "probe_metrics.hpp"

#include <charconv>

namespace skiff::probes {
namespace {

// A label value escaped as the text format wants (backslash, quote, newline).
std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// The shortest text that reads back as v (Go's FormatFloat(v, 'g', -1, 64)).
std::string number(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// Labels sorted by name, as client_golang writes them.
std::string common_labels(const MetricLabels& l, bool with_uid) {
  std::string s = "container=\"" + escape(l.container) + "\",namespace=\"" + escape(l.namespace_name) +
                  "\",pod=\"" + escape(l.pod) + "\"";
  if (with_uid) s += ",pod_uid=\"" + escape(l.pod_uid) + "\"";
  s += ",probe_type=\"" + std::string(kind_name(l.kind)) + "\"";
  return s;
}

const char* counted_name(size_t i) {
  static const char* names[] = {"successful", "failed", "unknown"};
  return names[i];
}

}  // namespace

ProbeMetrics::SeriesId ProbeMetrics::add(const MetricLabels& labels) {
  SeriesId id = next_++;
  series_[id].labels = labels;
  return id;
}

void ProbeMetrics::remove(SeriesId id) {
  series_.erase(id);
}

void ProbeMetrics::record(SeriesId id, Counted result, double seconds) {
  auto it = series_.find(id);
  if (it == series_.end()) return;
  Series& s = it->second;
  ++s.total[static_cast<size_t>(result)];
  if (result == Counted::failed) return;  // worker.go observes no duration for failures
  ++s.count;
  s.sum += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++s.buckets[i];
}

std::string ProbeMetrics::text() const {
  std::string out =
      "# HELP prober_probe_total [BETA] Cumulative number of a liveness, readiness or startup probe for a "
      "container by result.\n# TYPE prober_probe_total counter\n";
  for (const auto& [id, s] : series_) {
    std::string labels = common_labels(s.labels, true);
    for (size_t r = 0; r < s.total.size(); ++r)
      if (s.total[r])
        out += "prober_probe_total{" + labels + ",result=\"" + counted_name(r) + "\"} " +
               std::to_string(s.total[r]) + "\n";
  }
  out +=
      "# HELP prober_probe_duration_seconds [ALPHA] Duration in seconds for a probe response.\n"
      "# TYPE prober_probe_duration_seconds histogram\n";
  for (const auto& [id, s] : series_) {
    if (s.count == 0) continue;
    std::string labels = common_labels(s.labels, false);
    for (size_t i = 0; i < kBuckets.size(); ++i)
      out += "prober_probe_duration_seconds_bucket{" + labels + ",le=\"" + number(kBuckets[i]) + "\"} " +
             std::to_string(s.buckets[i]) + "\n";
    out +=
        "prober_probe_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " + std::to_string(s.count) + "\n";
    out += "prober_probe_duration_seconds_sum{" + labels + "} " + number(s.sum) + "\n";
    out += "prober_probe_duration_seconds_count{" + labels + "} " + std::to_string(s.count) + "\n";
  }
  return out;
}

}  // namespace skiff::probes
