// Probe and lifecycle handler parsing: Kubernetes' defaults, validation and messages.
#include "probe_spec.hpp"

#include <gtest/gtest.h>

#include "error.hpp"

namespace skiff::probes {
namespace {

using nlohmann::json;

const std::string kPath = "spec.containers[0].livenessProbe";

// The error message parse_probe throws for `probe`, or "" when it parses.
std::string probe_error(const json& probe, ProbeKind kind = ProbeKind::liveness) {
  try {
    parse_probe(probe, kPath, kind);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ProbeSpec, DefaultsAreKubernetes) {
  ProbeSpec s = parse_probe(json::parse(R"({"httpGet":{"port":8080}})"), kPath, ProbeKind::readiness);
  EXPECT_EQ(s.initial_delay_seconds, 0);
  EXPECT_EQ(s.timeout_seconds, 1);
  EXPECT_EQ(s.period_seconds, 10);
  EXPECT_EQ(s.success_threshold, 1);
  EXPECT_EQ(s.failure_threshold, 3);
  EXPECT_FALSE(s.termination_grace_period_seconds);
  const auto& h = std::get<HttpGetAction>(s.handler);
  EXPECT_EQ(h.path, "/");
  EXPECT_EQ(h.scheme, Scheme::http);
  EXPECT_EQ(h.port, PortRef::of(8080));
  EXPECT_TRUE(h.host.empty());
}

TEST(ProbeSpec, ExplicitZeroGetsTheDefaultAsTheApiServerDoes) {
  ProbeSpec s = parse_probe(
      json::parse(R"({"tcpSocket":{"port":"web"},"timeoutSeconds":0,"periodSeconds":0,"successThreshold":0,
                      "failureThreshold":0})"),
      kPath, ProbeKind::liveness);
  EXPECT_EQ(s.timeout_seconds, 1);
  EXPECT_EQ(s.period_seconds, 10);
  EXPECT_EQ(s.success_threshold, 1);
  EXPECT_EQ(s.failure_threshold, 3);
  EXPECT_EQ(std::get<TcpSocketAction>(s.handler).port, PortRef::named("web"));
}

TEST(ProbeSpec, EveryFieldIsRead) {
  ProbeSpec s = parse_probe(json::parse(R"({
      "httpGet":{"path":"/healthz?x=1","port":"http-alt","host":"10.1.2.3","scheme":"HTTPS",
                 "httpHeaders":[{"name":"X-A","value":"1"},{"name":"X-A","value":"2"},{"name":"Host","value":"h"}]},
      "initialDelaySeconds":5,"timeoutSeconds":2,"periodSeconds":3,"successThreshold":1,"failureThreshold":7,
      "terminationGracePeriodSeconds":12})"),
                            kPath, ProbeKind::liveness);
  EXPECT_EQ(s.initial_delay_seconds, 5);
  EXPECT_EQ(s.timeout_seconds, 2);
  EXPECT_EQ(s.period_seconds, 3);
  EXPECT_EQ(s.failure_threshold, 7);
  EXPECT_EQ(s.termination_grace_period_seconds, 12);
  const auto& h = std::get<HttpGetAction>(s.handler);
  EXPECT_EQ(h.path, "/healthz?x=1");
  EXPECT_EQ(h.port, PortRef::named("http-alt"));
  EXPECT_EQ(h.host, "10.1.2.3");
  EXPECT_EQ(h.scheme, Scheme::https);
  ASSERT_EQ(h.headers.size(), 3u);
  EXPECT_EQ(h.headers[1], (HttpHeader{"X-A", "2"}));
}

TEST(ProbeSpec, ExecAndGrpc) {
  ProbeSpec e =
      parse_probe(json::parse(R"({"exec":{"command":["cat","/tmp/healthy"]}})"), kPath, ProbeKind::startup);
  EXPECT_EQ(std::get<ExecAction>(e.handler).command, (std::vector<std::string>{"cat", "/tmp/healthy"}));
  ProbeSpec g = parse_probe(json::parse(R"({"grpc":{"port":9000}})"), kPath, ProbeKind::readiness);
  EXPECT_EQ(std::get<GrpcAction>(g.handler).port, 9000);
  EXPECT_EQ(std::get<GrpcAction>(g.handler).service, "");
  ProbeSpec g2 =
      parse_probe(json::parse(R"({"grpc":{"port":9000,"service":"shop"}})"), kPath, ProbeKind::readiness);
  EXPECT_EQ(std::get<GrpcAction>(g2.handler).service, "shop");
}

TEST(ProbeSpec, NullFieldsCountAsAbsent) {
  ProbeSpec s =
      parse_probe(json::parse(R"({"exec":null,"tcpSocket":{"port":80,"host":null},"periodSeconds":null})"),
                  kPath, ProbeKind::readiness);
  EXPECT_EQ(std::get<TcpSocketAction>(s.handler).port, PortRef::of(80));
  EXPECT_EQ(s.period_seconds, 10);
}

TEST(ProbeSpec, HandlerCountErrors) {
  EXPECT_EQ(probe_error(json::parse(R"({"periodSeconds":5})")),
            kPath + ": Required value: must specify a handler type");
  EXPECT_EQ(probe_error(json::parse(R"({"exec":{"command":["true"]},"tcpSocket":{"port":80}})")),
            kPath + ".tcpSocket: Forbidden: may not specify more than 1 handler type");
  EXPECT_EQ(probe_error(json::parse(R"({"httpGet":{"port":80},"grpc":{"port":80}})")),
            kPath + ".grpc: Forbidden: may not specify more than 1 handler type");
}

TEST(ProbeSpec, PortErrors) {
  EXPECT_EQ(probe_error(json::parse(R"({"httpGet":{"port":0}})")),
            kPath + ".httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive");
  EXPECT_EQ(probe_error(json::parse(R"({"httpGet":{"path":"/"}})")),
            kPath + ".httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive");
  EXPECT_EQ(probe_error(json::parse(R"({"tcpSocket":{"port":65536}})")),
            kPath + ".tcpSocket.port: Invalid value: 65536: must be between 1 and 65535, inclusive");
  EXPECT_EQ(probe_error(json::parse(R"({"tcpSocket":{"port":"8080"}})")),
            kPath + ".tcpSocket.port: Invalid value: \"8080\": must contain at least one letter (a-z)");
  EXPECT_EQ(
      probe_error(json::parse(R"({"tcpSocket":{"port":"Web"}})")),
      kPath +
          ".tcpSocket.port: Invalid value: \"Web\": must contain only alpha-numeric characters (a-z, 0-9), "
          "and hyphens (-)");
  EXPECT_EQ(
      probe_error(json::parse(R"({"tcpSocket":{"port":"a-very-long-port-name"}})")),
      kPath +
          ".tcpSocket.port: Invalid value: \"a-very-long-port-name\": must be no more than 15 characters");
  EXPECT_EQ(probe_error(json::parse(R"({"tcpSocket":{"port":"web--x"}})")),
            kPath + ".tcpSocket.port: Invalid value: \"web--x\": must not contain consecutive hyphens");
  EXPECT_EQ(probe_error(json::parse(R"({"tcpSocket":{"port":"-web"}})")),
            kPath + ".tcpSocket.port: Invalid value: \"-web\": must not begin or end with a hyphen");
  EXPECT_EQ(
      probe_error(json::parse(R"({"tcpSocket":{"port":""}})")),
      kPath +
          ".tcpSocket.port: Invalid value: \"\": must contain only alpha-numeric characters (a-z, 0-9), "
          "and hyphens (-)");
  EXPECT_EQ(
      probe_error(json::parse(R"({"grpc":{"port":"grpc"}})")),
      kPath + ".grpc.port: Invalid value: \"grpc\": must be a port number (gRPC probes take no port name)");
  EXPECT_EQ(probe_error(json::parse(R"({"grpc":{}})")),
            kPath + ".grpc.port: Invalid value: 0: must be between 1 and 65535, inclusive");
  EXPECT_EQ(probe_error(json::parse(R"({"tcpSocket":{"port":1.5}})")),
            kPath + ".tcpSocket.port: Invalid value: 1.5: must be a port number or a port name");
}

TEST(ProbeSpec, SchemeAndHeaderErrors) {
  EXPECT_EQ(probe_error(json::parse(R"({"httpGet":{"port":80,"scheme":"http"}})")),
            kPath + ".httpGet.scheme: Unsupported value: \"http\": supported values: \"HTTP\", \"HTTPS\"");
  EXPECT_EQ(
      probe_error(json::parse(R"({"httpGet":{"port":80,"httpHeaders":[{"name":"X Bad","value":"v"}]}})")),
      kPath +
          ".httpGet.httpHeaders: Invalid value: \"X Bad\": a valid HTTP header must consist of alphanumeric "
          "characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')");
  EXPECT_NE(probe_error(json::parse(R"({"httpGet":{"port":80,"httpHeaders":[{"value":"v"}]}})")), "");
}

TEST(ProbeSpec, NumberErrors) {
  EXPECT_EQ(probe_error(json::parse(R"({"exec":{"command":["true"]},"initialDelaySeconds":-1})")),
            kPath + ".initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0");
  EXPECT_EQ(probe_error(json::parse(R"({"exec":{"command":["true"]},"periodSeconds":-5})")),
            kPath + ".periodSeconds: Invalid value: -5: must be greater than or equal to 0");
  EXPECT_EQ(probe_error(json::parse(R"({"exec":{"command":["true"]},"timeoutSeconds":"5"})")),
            kPath + ".timeoutSeconds: Invalid value: \"5\": must be an integer");
  EXPECT_EQ(probe_error(json::parse(R"({"exec":{"command":["true"]},"failureThreshold":3000000000})")),
            kPath + ".failureThreshold: Invalid value: 3000000000: must fit in a 32-bit integer");
  EXPECT_EQ(probe_error(json::parse(R"({"exec":{"command":["true"]},"terminationGracePeriodSeconds":0})")),
            kPath + ".terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0");
}

TEST(ProbeSpec, KindSpecificRules) {
  json two = json::parse(R"({"exec":{"command":["true"]},"successThreshold":2})");
  EXPECT_EQ(probe_error(two, ProbeKind::liveness), kPath + ".successThreshold: Invalid value: 2: must be 1");
  EXPECT_EQ(probe_error(two, ProbeKind::startup), kPath + ".successThreshold: Invalid value: 2: must be 1");
  EXPECT_EQ(probe_error(two, ProbeKind::readiness), "");
  json grace = json::parse(R"({"exec":{"command":["true"]},"terminationGracePeriodSeconds":5})");
  EXPECT_EQ(probe_error(grace, ProbeKind::readiness),
            kPath + ".terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes");
  EXPECT_EQ(probe_error(grace, ProbeKind::liveness), "");
}

TEST(ProbeSpec, ExecNeedsACommand) {
  EXPECT_EQ(probe_error(json::parse(R"({"exec":{}})")), kPath + ".exec.command: Required value");
  EXPECT_EQ(probe_error(json::parse(R"({"exec":{"command":[]}})")), kPath + ".exec.command: Required value");
  EXPECT_EQ(probe_error(json::parse(R"({"exec":{"command":["ls",3]}})")),
            kPath + ".exec.command[1]: Invalid value: 3: must be a string");
  EXPECT_EQ(probe_error(json::parse(R"({"exec":{"command":"ls"}})")),
            kPath + ".exec.command: Invalid value: \"ls\": must be a list of strings");
}

TEST(ProbeSpec, UnknownFieldsNameTheirPath) {
  EXPECT_EQ(probe_error(json::parse(R"({"exec":{"command":["true"]},"periodSecond":5})")),
            kPath + ".periodSecond: unknown field \"periodSecond\"");
  EXPECT_EQ(probe_error(json::parse(R"({"httpGet":{"port":80,"headers":[]}})")),
            kPath + ".httpGet.headers: unknown field \"headers\"");
  EXPECT_EQ(
      probe_error(json::parse(R"({"httpGet":{"port":80,"httpHeaders":[{"name":"A","value":"b","x":1}]}})")),
      kPath + ".httpGet.httpHeaders[0].x: unknown field \"x\"");
  EXPECT_EQ(probe_error(json::parse(R"({"sleep":{"seconds":1}})")),
            kPath + ".sleep: unknown field \"sleep\"");
  EXPECT_EQ(probe_error(json::parse(R"(["exec"])")),
            kPath + ": Invalid value: [\"exec\"]: must be an object");
}

TEST(ProbeSpec, ToJsonIsWhatTheApiServerReturns) {
  ProbeSpec s = parse_probe(json::parse(R"({"httpGet":{"port":"web"}})"), kPath, ProbeKind::readiness);
  EXPECT_EQ(to_json(s),
            json::parse(R"({"httpGet":{"path":"/","port":"web","scheme":"HTTP"},"timeoutSeconds":1,
                                      "periodSeconds":10,"successThreshold":1,"failureThreshold":3})"));
  ProbeSpec g = parse_probe(json::parse(R"({"grpc":{"port":9000},"initialDelaySeconds":4,
                                           "terminationGracePeriodSeconds":9})"),
                            kPath, ProbeKind::liveness);
  EXPECT_EQ(to_json(g),
            json::parse(R"({"grpc":{"port":9000,"service":""},"initialDelaySeconds":4,"timeoutSeconds":1,
                                      "periodSeconds":10,"successThreshold":1,"failureThreshold":3,
                                      "terminationGracePeriodSeconds":9})"));
  // Whatever to_json writes parses back to the same spec.
  for (const char* text :
       {R"({"exec":{"command":["a","b"]},"periodSeconds":2})", R"({"tcpSocket":{"port":81,"host":"h"}})",
        R"({"httpGet":{"port":80,"host":"x","scheme":"HTTPS","path":"/p",
                                           "httpHeaders":[{"name":"A","value":"b"}]}})"}) {
    ProbeSpec a = parse_probe(json::parse(text), kPath, ProbeKind::readiness);
    EXPECT_EQ(parse_probe(to_json(a), kPath, ProbeKind::readiness), a) << text;
  }
}

std::string hook_error(const json& h, std::optional<int64_t> grace = 30) {
  try {
    parse_lifecycle_handler(h, "spec.containers[0].lifecycle.preStop", grace);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(LifecycleHandler, ParsesEachKind) {
  const std::string p = "spec.containers[0].lifecycle.preStop";
  EXPECT_EQ(std::get<SleepAction>(parse_lifecycle_handler(json::parse(R"({"sleep":{"seconds":5}})"), p, 30))
                .seconds,
            5);
  EXPECT_EQ(
      std::get<ExecAction>(parse_lifecycle_handler(json::parse(R"({"exec":{"command":["x"]}})"), p)).command,
      std::vector<std::string>{"x"});
  EXPECT_EQ(
      std::get<HttpGetAction>(parse_lifecycle_handler(json::parse(R"({"httpGet":{"port":80}})"), p)).path,
      "/");
  // Deprecated, kept for compatibility: accepted here, failed by the kubelet when it runs.
  EXPECT_EQ(
      std::get<TcpSocketAction>(parse_lifecycle_handler(json::parse(R"({"tcpSocket":{"port":80}})"), p)).port,
      PortRef::of(80));
  EXPECT_EQ(to_json(parse_lifecycle_handler(json::parse(R"({"sleep":{"seconds":0}})"), p, 30)),
            json::parse(R"({"sleep":{"seconds":0}})"));
}

TEST(LifecycleHandler, Errors) {
  const std::string p = "spec.containers[0].lifecycle.preStop";
  EXPECT_EQ(
      hook_error(json::parse(R"({"sleep":{"seconds":31}})")),
      p + ".sleep: Invalid value: 31: must be non-negative and less than terminationGracePeriodSeconds (30)");
  EXPECT_EQ(hook_error(json::parse(R"({"sleep":{"seconds":-1}})"), std::nullopt),
            p + ".sleep: Invalid value: -1: must be non-negative");
  EXPECT_EQ(hook_error(json::parse(R"({"grpc":{"port":80}})")), p + ".grpc: unknown field \"grpc\"");
  EXPECT_EQ(hook_error(json::parse(R"({})")), p + ": Required value: must specify a handler type");
  EXPECT_EQ(hook_error(json::parse(R"({"exec":{"command":["x"]},"sleep":{"seconds":1}})")),
            p + ".sleep: Forbidden: may not specify more than 1 handler type");
}

TEST(ResolvePort, NumbersAndNames) {
  std::vector<ContainerPort> ports = {{"http", 8080}, {"", 9090}, {"metrics", 9100}};
  EXPECT_EQ(resolve_port(PortRef::of(81), ports), 81);
  EXPECT_EQ(resolve_port(PortRef::named("metrics"), ports), 9100);
  try {
    resolve_port(PortRef::named("grpc"), ports);
    FAIL() << "no such port";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "port \"grpc\" not found");
  }
  try {
    resolve_port(PortRef::named("bad"), {{"bad", 70000}});
    FAIL() << "out of range";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "invalid port number: 70000");
  }
}

TEST(ProbeKindNames, AsTheKubeletSpellsThem) {
  EXPECT_STREQ(kind_name(ProbeKind::liveness), "Liveness");
  EXPECT_STREQ(kind_name(ProbeKind::readiness), "Readiness");
  EXPECT_STREQ(kind_name(ProbeKind::startup), "Startup");
  EXPECT_STREQ(kind_field(ProbeKind::startup), "startupProbe");
}

}  // namespace
}  // namespace skiff::probes
