// grpc as the kubelet runs it (pkg/probe/grpc): grpc.health.v1.Health/Check over plaintext HTTP/2 to
// the pod's address, one deadline for connecting and calling; only SERVING is success, anything else
// (no connection, UNIMPLEMENTED, DEADLINE_EXCEEDED, NOT_SERVING, not gRPC at all) failure, worded as
// the kubelet words it. HTTP/2 through nghttp2 driven from the event loop (no thread, no channel
// kept), the two protobuf messages encoded by hand.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "event_loop.hpp"
#include "probe_runner.hpp"

namespace skiff::probes {

class Resolver;

// The HealthCheckRequest message: field 1, the service name.
std::string encode_health_request(const std::string& service);
// The HealthCheckResponse's status (field 1): 0 UNKNOWN, 1 SERVING, 2 NOT_SERVING, 3 SERVICE_UNKNOWN;
// nullopt when the bytes are not such a message.
std::optional<int> decode_health_response(const std::string& message);
const char* serving_status_name(int status);
// gRPC's code names ("Unimplemented", "DeadlineExceeded").
const char* grpc_code_name(int code);
// Go's time.Duration text for whole seconds: "1s", "1m30s".
std::string go_seconds(int64_t seconds);

std::unique_ptr<ProbeOperation> start_grpc_check(EventLoop& loop, Resolver& resolver, const std::string& host,
                                                 int port, const std::string& service,
                                                 std::chrono::milliseconds timeout, ProbeDone done);

}  // namespace skiff::probes
