// The kubelet's prober metrics in Prometheus text: prober_probe_total (counter, by result) and
// prober_probe_duration_seconds (histogram of successful probes, default buckets), labelled as the
// kubelet labels them. One series set per worker, dropped with it: nothing grows per probe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "probe_spec.hpp"

namespace skiff::probes {

struct MetricLabels {
  std::string namespace_name;
  std::string pod;
  std::string pod_uid;
  std::string container;
  ProbeKind kind = ProbeKind::liveness;
};

class ProbeMetrics {
 public:
  // Prometheus' default buckets, which the kubelet's histogram uses.
  static constexpr std::array<double, 11> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                      0.5,   1,    2.5,   5,    10};
  enum class Counted { successful, failed, unknown };

  using SeriesId = uint64_t;
  SeriesId add(const MetricLabels& labels);
  void remove(SeriesId id);
  // One finished (non-error) probe: the counter, and for successful ones the duration as well,
  // exactly as worker.go records them.
  void record(SeriesId id, Counted result, double seconds);
  // The exposition text (format 0.0.4), series in a stable order.
  std::string text() const;
  size_t series() const { return series_.size(); }

 private:
  struct Series {
    MetricLabels labels;
    std::array<uint64_t, 3> total{};
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  std::map<SeriesId, Series> series_;
  SeriesId next_ = 1;
};

}  // namespace skiff::probes
