// Probe and LifecycleHandler parsing: defaults from pkg/apis/core/v1/defaults.go, checks and messages
// from pkg/apis/core/validation/validation.go (validateProbe, validateHandler, ValidatePortNumOrName,
// IsValidPortName, IsHTTPHeaderName), reported one at a time in the API server's order.
#include "probe_spec.hpp"

#include <algorithm>
#include <limits>
#include <set>

#include "error.hpp"
#include "field_errors.hpp"

namespace skiff::probes {
namespace {

using nlohmann::json;

// Rejects keys outside `known`, naming the first one.
void check_fields(const json& obj, const std::string& path, std::initializer_list<const char*> known) {
  for (const auto& [key, value] : obj.items()) {
    bool found = std::any_of(known.begin(), known.end(), [&](const char* k) { return key == k; });
    if (!found) throw Error(path + "." + key + ": unknown field \"" + key + "\"");
  }
}

const json& require_object(const json& v, const std::string& path) {
  if (!v.is_object()) throw Error(field::invalid(path, v, "must be an object"));
  return v;
}

// A field that JSON null or absence both leave unset (Go's decoder treats them alike).
const json* member(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

int64_t integer_in(const json& v, const std::string& path, int64_t lo, int64_t hi, const char* what) {
  if (!v.is_number_integer()) throw Error(field::invalid(path, v, "must be an integer"));
  int64_t n;
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(hi))
      throw Error(field::invalid(path, v, std::string("must fit in ") + what));
    n = static_cast<int64_t>(u);
  } else {
    n = v.get<int64_t>();
  }
  if (n < lo || n > hi) throw Error(field::invalid(path, v, std::string("must fit in ") + what));
  return n;
}

int32_t int32_field(const json& v, const std::string& path) {
  return static_cast<int32_t>(integer_in(v, path, std::numeric_limits<int32_t>::min(),
                                         std::numeric_limits<int32_t>::max(), "a 32-bit integer"));
}
int64_t int64_field(const json& v, const std::string& path) {
  return integer_in(v, path, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                    "a 64-bit integer");
}

std::string string_field(const json& v, const std::string& path) {
  if (!v.is_string()) throw Error(field::invalid(path, v, "must be a string"));
  return v.get<std::string>();
}

PortRef port_field(const json* v, const std::string& path) {
  // An absent port is IntOrString's zero value, the number 0, which validation then rejects.
  if (!v) return PortRef::of(0);
  if (v->is_string()) return PortRef::named(v->get<std::string>());
  if (v->is_number_integer()) return PortRef::of(int32_field(*v, path));
  throw Error(field::invalid(path, *v, "must be a port number or a port name"));
}

void validate_port(const PortRef& port, const std::string& path) {
  std::string problem = port.is_name ? port_name_problem(port.name) : port_number_problem(port.number);
  if (problem.empty()) return;
  if (port.is_name) throw Error(field::invalid(path, json(port.name), problem));
  throw Error(field::invalid(path, json(port.number), problem));
}

ExecAction parse_exec(const json& v, const std::string& path) {
  require_object(v, path);
  check_fields(v, path, {"command"});
  ExecAction a;
  if (const json* cmd = member(v, "command")) {
    if (!cmd->is_array()) throw Error(field::invalid(path + ".command", *cmd, "must be a list of strings"));
    for (size_t i = 0; i < cmd->size(); ++i)
      a.command.push_back(string_field((*cmd)[i], path + ".command[" + std::to_string(i) + "]"));
  }
  if (a.command.empty()) throw Error(field::required(path + ".command", ""));
  return a;
}

std::vector<HttpHeader> parse_headers(const json& v, const std::string& path) {
  if (!v.is_array()) throw Error(field::invalid(path, v, "must be a list of {name, value}"));
  std::vector<HttpHeader> out;
  for (size_t i = 0; i < v.size(); ++i) {
    std::string at = path + "[" + std::to_string(i) + "]";
    require_object(v[i], at);
    check_fields(v[i], at, {"name", "value"});
    HttpHeader h;
    if (const json* n = member(v[i], "name")) h.name = string_field(*n, at + ".name");
    if (const json* val = member(v[i], "value")) h.value = string_field(*val, at + ".value");
    out.push_back(std::move(h));
  }
  return out;
}

HttpGetAction parse_http_get(const json& v, const std::string& path) {
  require_object(v, path);
  check_fields(v, path, {"path", "port", "host", "scheme", "httpHeaders"});
  HttpGetAction a;
  if (const json* p = member(v, "path")) a.path = string_field(*p, path + ".path");
  if (a.path.empty()) a.path = "/";  // SetDefaults_HTTPGetAction
  a.port = port_field(member(v, "port"), path + ".port");
  if (const json* h = member(v, "host")) a.host = string_field(*h, path + ".host");
  std::string scheme = "HTTP";
  if (const json* s = member(v, "scheme")) scheme = string_field(*s, path + ".scheme");
  if (scheme.empty()) scheme = "HTTP";
  if (const json* h = member(v, "httpHeaders")) a.headers = parse_headers(*h, path + ".httpHeaders");

  validate_port(a.port, path + ".port");
  if (scheme == "HTTP") {
    a.scheme = Scheme::http;
  } else if (scheme == "HTTPS") {
    a.scheme = Scheme::https;
  } else {
    throw Error(field::not_supported(path + ".scheme", scheme, {"HTTP", "HTTPS"}));
  }
  for (const auto& h : a.headers) {
    std::string problem = http_header_name_problem(h.name);
    if (!problem.empty()) throw Error(field::invalid(path + ".httpHeaders", json(h.name), problem));
  }
  return a;
}

TcpSocketAction parse_tcp(const json& v, const std::string& path) {
  require_object(v, path);
  check_fields(v, path, {"port", "host"});
  TcpSocketAction a;
  a.port = port_field(member(v, "port"), path + ".port");
  if (const json* h = member(v, "host")) a.host = string_field(*h, path + ".host");
  validate_port(a.port, path + ".port");
  return a;
}

GrpcAction parse_grpc(const json& v, const std::string& path) {
  require_object(v, path);
  check_fields(v, path, {"port", "service"});
  GrpcAction a;
  if (const json* p = member(v, "port")) {
    if (p->is_string())
      throw Error(
          field::invalid(path + ".port", *p, "must be a port number (gRPC probes take no port name)"));
    a.port = int32_field(*p, path + ".port");
  }
  if (const json* s = member(v, "service")) a.service = string_field(*s, path + ".service");
  std::string problem = port_number_problem(a.port);
  if (!problem.empty()) throw Error(field::invalid(path + ".port", json(a.port), problem));
  return a;
}

SleepAction parse_sleep(const json& v, const std::string& path, std::optional<int64_t> grace) {
  require_object(v, path);
  check_fields(v, path, {"seconds"});
  SleepAction a;
  if (const json* s = member(v, "seconds")) a.seconds = int64_field(*s, path + ".seconds");
  // Zero is allowed since Kubernetes 1.33 (PodLifecycleSleepActionAllowZero, on by default).
  if (grace && (a.seconds < 0 || a.seconds > *grace))
    throw Error(field::invalid(
        path, json(a.seconds),
        "must be non-negative and less than terminationGracePeriodSeconds (" + std::to_string(*grace) + ")"));
  if (!grace && a.seconds < 0) throw Error(field::invalid(path, json(a.seconds), "must be non-negative"));
  return a;
}

// validateHandler: the handlers in Kubernetes' order; a second one is "Forbidden" at its own path.
template <typename Variant, typename Parse>
Variant one_handler(const json& obj, const std::string& path, std::initializer_list<const char*> names,
                    Parse parse) {
  std::optional<Variant> found;
  for (const char* name : names) {
    const json* v = member(obj, name);
    if (!v) continue;
    std::string at = path + "." + name;
    if (found) throw Error(field::forbidden(at, "may not specify more than 1 handler type"));
    found = parse(std::string(name), *v, at);
  }
  if (!found) throw Error(field::required(path, "must specify a handler type"));
  return std::move(*found);
}

int32_t defaulted(const json& obj, const char* key, const std::string& path, int32_t dflt) {
  const json* v = member(obj, key);
  int32_t n = v ? int32_field(*v, path + "." + key) : 0;
  return n == 0 ? dflt : n;  // SetDefaults_Probe replaces zero values
}

void nonnegative(int64_t n, const std::string& path) {
  if (n < 0) throw Error(field::invalid(path, json(n), "must be greater than or equal to 0"));
}

json port_json(const PortRef& p) {
  return p.is_name ? json(p.name) : json(p.number);
}

json http_get_json(const HttpGetAction& a) {
  json j = {{"path", a.path},
            {"port", port_json(a.port)},
            {"scheme", a.scheme == Scheme::https ? "HTTPS" : "HTTP"}};
  if (!a.host.empty()) j["host"] = a.host;
  if (!a.headers.empty()) {
    j["httpHeaders"] = json::array();
    for (const auto& h : a.headers) j["httpHeaders"].push_back({{"name", h.name}, {"value", h.value}});
  }
  return j;
}

json tcp_json(const TcpSocketAction& a) {
  json j = {{"port", port_json(a.port)}};
  if (!a.host.empty()) j["host"] = a.host;
  return j;
}

// One action as its handler field ({"exec": {...}}), for probes and lifecycle handlers alike.
json action_json(const ExecAction& a) {
  return {{"exec", {{"command", a.command}}}};
}
json action_json(const HttpGetAction& a) {
  return {{"httpGet", http_get_json(a)}};
}
json action_json(const TcpSocketAction& a) {
  return {{"tcpSocket", tcp_json(a)}};
}
json action_json(const GrpcAction& a) {
  return {{"grpc", {{"port", a.port}, {"service", a.service}}}};
}
json action_json(const SleepAction& a) {
  return {{"sleep", {{"seconds", a.seconds}}}};
}

}  // namespace

const char* kind_name(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::liveness:
      return "Liveness";
    case ProbeKind::readiness:
      return "Readiness";
    case ProbeKind::startup:
      return "Startup";
  }
  return "?";
}

const char* kind_field(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::liveness:
      return "livenessProbe";
    case ProbeKind::readiness:
      return "readinessProbe";
    case ProbeKind::startup:
      return "startupProbe";
  }
  return "?";
}

ProbeSpec parse_probe(const json& probe, const std::string& path, ProbeKind kind) {
  require_object(probe, path);
  check_fields(probe, path,
               {"exec", "httpGet", "tcpSocket", "grpc", "initialDelaySeconds", "timeoutSeconds",
                "periodSeconds", "successThreshold", "failureThreshold", "terminationGracePeriodSeconds"});
  ProbeSpec s;
  s.handler = one_handler<ProbeHandler>(
      probe, path, {"exec", "httpGet", "tcpSocket", "grpc"},
      [](const std::string& name, const json& v, const std::string& at) -> ProbeHandler {
        if (name == "exec") return parse_exec(v, at);
        if (name == "httpGet") return parse_http_get(v, at);
        if (name == "tcpSocket") return parse_tcp(v, at);
        return parse_grpc(v, at);
      });
  if (const json* v = member(probe, "initialDelaySeconds"))
    s.initial_delay_seconds = int32_field(*v, path + ".initialDelaySeconds");
  s.timeout_seconds = defaulted(probe, "timeoutSeconds", path, 1);
  s.period_seconds = defaulted(probe, "periodSeconds", path, 10);
  s.success_threshold = defaulted(probe, "successThreshold", path, 1);
  s.failure_threshold = defaulted(probe, "failureThreshold", path, 3);
  if (const json* v = member(probe, "terminationGracePeriodSeconds"))
    s.termination_grace_period_seconds = int64_field(*v, path + ".terminationGracePeriodSeconds");

  nonnegative(s.initial_delay_seconds, path + ".initialDelaySeconds");
  nonnegative(s.timeout_seconds, path + ".timeoutSeconds");
  nonnegative(s.period_seconds, path + ".periodSeconds");
  nonnegative(s.success_threshold, path + ".successThreshold");
  nonnegative(s.failure_threshold, path + ".failureThreshold");
  if (s.termination_grace_period_seconds && *s.termination_grace_period_seconds <= 0)
    throw Error(field::invalid(path + ".terminationGracePeriodSeconds",
                               json(*s.termination_grace_period_seconds), "must be greater than 0"));
  if (kind != ProbeKind::readiness && s.success_threshold != 1)
    throw Error(field::invalid(path + ".successThreshold", json(s.success_threshold), "must be 1"));
  if (kind == ProbeKind::readiness && s.termination_grace_period_seconds)
    throw Error(field::invalid(path + ".terminationGracePeriodSeconds",
                               json(*s.termination_grace_period_seconds),
                               "must not be set for readinessProbes"));
  return s;
}

json to_json(const ProbeHandler& handler) {
  return std::visit([](const auto& a) { return action_json(a); }, handler);
}

json to_json(const ProbeSpec& s) {
  json j = to_json(s.handler);
  if (s.initial_delay_seconds != 0) j["initialDelaySeconds"] = s.initial_delay_seconds;
  j["timeoutSeconds"] = s.timeout_seconds;
  j["periodSeconds"] = s.period_seconds;
  j["successThreshold"] = s.success_threshold;
  j["failureThreshold"] = s.failure_threshold;
  if (s.termination_grace_period_seconds)
    j["terminationGracePeriodSeconds"] = *s.termination_grace_period_seconds;
  return j;
}

LifecycleHandler parse_lifecycle_handler(const json& handler, const std::string& path,
                                         std::optional<int64_t> grace_period_seconds) {
  require_object(handler, path);
  check_fields(handler, path, {"exec", "httpGet", "tcpSocket", "sleep"});
  return one_handler<LifecycleHandler>(
      handler, path, {"exec", "httpGet", "tcpSocket", "sleep"},
      [&](const std::string& name, const json& v, const std::string& at) -> LifecycleHandler {
        if (name == "exec") return parse_exec(v, at);
        if (name == "httpGet") return parse_http_get(v, at);
        if (name == "tcpSocket") return parse_tcp(v, at);
        return parse_sleep(v, at, grace_period_seconds);
      });
}

json to_json(const LifecycleHandler& handler) {
  return std::visit([](const auto& a) { return action_json(a); }, handler);
}

int resolve_port(const PortRef& port, const std::vector<ContainerPort>& container_ports) {
  int n = port.number;
  if (port.is_name) {
    auto it = std::find_if(container_ports.begin(), container_ports.end(),
                           [&](const ContainerPort& p) { return p.name == port.name; });
    if (it == container_ports.end()) throw Error("port " + json(port.name).dump() + " not found");
    n = it->number;
  }
  if (n > 0 && n < 65536) return n;
  throw Error("invalid port number: " + std::to_string(n));
}

std::string port_number_problem(int64_t port) {
  if (port >= 1 && port <= 65535) return {};
  return "must be between 1 and 65535, inclusive";
}

std::string port_name_problem(const std::string& name) {
  // k8s.io/apimachinery/pkg/util/validation IsValidPortName: RFC 6335 service names.
  if (name.size() > 15) return "must be no more than 15 characters";
  bool letter = false;
  bool charset = !name.empty();
  for (char c : name) {
    if (c >= 'a' && c <= 'z') {
      letter = true;
    } else if (!(c >= '0' && c <= '9') && c != '-') {
      charset = false;
    }
  }
  if (!charset) return "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
  if (!letter) return "must contain at least one letter (a-z)";
  if (name.find("--") != std::string::npos) return "must not contain consecutive hyphens";
  if (name.front() == '-' || name.back() == '-') return "must not begin or end with a hyphen";
  return {};
}

std::string http_header_name_problem(const std::string& name) {
  bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
  if (ok) return {};
  return "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex "
         "used "
         "for validation is '[-A-Za-z0-9]+')";
}

}  // namespace skiff::probes
