// The Kubernetes Probe and LifecycleHandler objects as typed values: parsed from their JSON shape
// (field names as Kubernetes'), defaulted and validated the way the API server does, and written back
// the way it returns them. What the probe mechanisms and the worker read; nothing here runs a probe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace skiff::probes {

enum class ProbeKind { liveness, readiness, startup };

// "Liveness", "Readiness", "Startup": the kubelet's spelling in events and metric labels.
const char* kind_name(ProbeKind kind);
// "livenessProbe", "readinessProbe", "startupProbe": the container field.
const char* kind_field(ProbeKind kind);

// Kubernetes' IntOrString as used for ports: a number, or the name of one of the container's ports.
// A JSON string is always a name (port: "8080" is a name, and an invalid one, as in Kubernetes).
struct PortRef {
  bool is_name = false;
  int32_t number = 0;
  std::string name;

  static PortRef of(int32_t n) { return PortRef{false, n, {}}; }
  static PortRef named(std::string n) { return PortRef{true, 0, std::move(n)}; }
  bool operator==(const PortRef&) const = default;
};

struct HttpHeader {
  std::string name;
  std::string value;
  bool operator==(const HttpHeader&) const = default;
};

enum class Scheme { http, https };

struct ExecAction {
  std::vector<std::string> command;
  bool operator==(const ExecAction&) const = default;
};
struct HttpGetAction {
  std::string path = "/";
  PortRef port;
  std::string host;  // empty: the pod's IP
  Scheme scheme = Scheme::http;
  std::vector<HttpHeader> headers;  // httpHeaders, in order (a name may repeat)
  bool operator==(const HttpGetAction&) const = default;
};
struct TcpSocketAction {
  PortRef port;
  std::string host;  // empty: the pod's IP
  bool operator==(const TcpSocketAction&) const = default;
};
struct GrpcAction {
  int32_t port = 0;     // a number only: gRPC probes take no named port
  std::string service;  // defaulted to "" as Kubernetes does
  bool operator==(const GrpcAction&) const = default;
};
struct SleepAction {
  int64_t seconds = 0;
  bool operator==(const SleepAction&) const = default;
};

using ProbeHandler = std::variant<ExecAction, HttpGetAction, TcpSocketAction, GrpcAction>;
// tcpSocket is accepted in a lifecycle handler for compatibility only; the kubelet fails it when run.
using LifecycleHandler = std::variant<ExecAction, HttpGetAction, TcpSocketAction, SleepAction>;

struct ProbeSpec {
  ProbeHandler handler;
  int32_t initial_delay_seconds = 0;
  int32_t period_seconds = 10;
  int32_t timeout_seconds = 1;
  int32_t success_threshold = 1;
  int32_t failure_threshold = 3;
  // The probe's own grace period for the kill after a liveness/startup failure (else the pod's).
  std::optional<int64_t> termination_grace_period_seconds;
  bool operator==(const ProbeSpec&) const = default;
};

// Parses a Probe object found at `path` (e.g. "spec.containers[0].livenessProbe"), applies the API
// server's defaults (timeout 1, period 10, success 1, failure 3, httpGet path "/" and scheme HTTP,
// grpc service "") and its validation for `kind`. Throws skiff::Error whose message starts with the
// field path, in the API server's wording:
//   spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive
// Unknown fields are errors too ("<path>.<field>: unknown field").
ProbeSpec parse_probe(const nlohmann::json& probe, const std::string& path, ProbeKind kind);

// The probe as the API server returns it: every defaulted field present, zero-valued optional ones
// (initialDelaySeconds 0, host "", no headers) omitted.
nlohmann::json to_json(const ProbeSpec& spec);
nlohmann::json to_json(const ProbeHandler& handler);

// Parses a LifecycleHandler (lifecycle.postStart / lifecycle.preStop): exec, httpGet, sleep, or the
// deprecated tcpSocket. `grace_period_seconds` is the pod's terminationGracePeriodSeconds when known:
// a sleep longer than it is invalid, as in Kubernetes.
LifecycleHandler parse_lifecycle_handler(const nlohmann::json& handler, const std::string& path,
                                         std::optional<int64_t> grace_period_seconds = std::nullopt);
nlohmann::json to_json(const LifecycleHandler& handler);

// A container port as the probe sees it: its name (may be empty) and number.
struct ContainerPort {
  std::string name;
  int32_t number = 0;
};

// Resolves a probe's port against the container's ports, as the kubelet does when it runs the probe:
// a number is taken as is, a name is looked up. Throws skiff::Error ("port \"web\" not found",
// "invalid port number: 0"); the prober counts that as an error (discarded), not a failure.
int resolve_port(const PortRef& port, const std::vector<ContainerPort>& container_ports);

// Validation helpers shared with the manifest parser (the API server's messages).
// Empty when valid; else the first reason.
std::string port_number_problem(int64_t port);
std::string port_name_problem(const std::string& name);  // IANA_SVC_NAME
std::string http_header_name_problem(const std::string& name);

}  // namespace skiff::probes
