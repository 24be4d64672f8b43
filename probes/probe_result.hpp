// What one run of a probe action yields (pkg/probe's Result plus the error the kubelet discards), and the
// result a worker publishes for a container (pkg/kubelet/prober/results).
#pragma once

#include <chrono>
#include <string>

namespace skiff::probes {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// A mechanism's answer. warning counts as success (an HTTP 3xx the prober did not follow).
enum class Result { success, warning, failure, unknown };
const char* result_name(Result r);  // "success", "warning", "failure", "unknown" (pkg/probe's strings)

struct ProbeOutcome {
  Result result = Result::unknown;
  // The mechanism's output: a failure's reason, a success's body or command output (at most 10 KiB).
  std::string message;
  // An internal error (a named port that does not resolve, an exec that could not start): the kubelet
  // retries the action up to three times, then throws the result away. Not a failure.
  bool is_error = false;
  std::chrono::nanoseconds duration{0};
};

// The published state of one probe kind for one container instance.
enum class Verdict { unknown, success, failure };
const char* verdict_name(Verdict v);  // "Unknown", "Success", "Failure"

}  // namespace skiff::probes
