// httpGet as the kubelet runs it (pkg/probe/http): one GET over HTTP/1.1 per connection (no keep-alive,
// no proxy, no compression), TLS unverified for HTTPS, the kubelet's headers, same-host redirects up
// to 10, the first 10 KiB of the body; 2xx success, 3xx warning, anything else failure. Non-blocking
// on the event loop; a hostile server costs at most the timeout and a fixed amount of memory.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "event_loop.hpp"
#include "http_url.hpp"
#include "probe_runner.hpp"

namespace skiff::probes {

class Resolver;

// The Kubernetes version whose kubelet we answer for: "kube-probe/1.31".
inline constexpr const char* kKubeVersion = "1.31";

struct HttpGetRequest {
  HttpUrl url;
  std::vector<HttpHeader> headers;  // httpHeaders, in order
  // "probe" or "lifecycle": the default User-Agent is kube-<purpose>/<version>.
  std::string purpose = "probe";
  // Probes follow redirects to the same host only; the kubelet's lifecycle hooks follow any.
  bool follow_other_hosts = false;
  // A lifecycle hook: any HTTP response is success (only a transport error fails it), and an HTTPS
  // hook answered in plain HTTP is retried over HTTP, as the kubelet's handler runner does.
  bool any_response_succeeds = false;
};

// The probe's request: URL from the action's fields (host defaulting to the pod IP, port resolved).
HttpGetRequest probe_request(const HttpGetAction& action, const std::string& pod_ip, int port);

// The request bytes as Go's client writes them for `req` at `url` (Host, User-Agent, then the other
// headers sorted by name, Connection: close). Throws skiff::Error (Go's "net/http: invalid header
// field value for ...") when a header cannot be sent.
std::string build_request(const HttpGetRequest& req, const HttpUrl& url, const std::string& host_header,
                          const std::string& referer);

std::unique_ptr<ProbeOperation> start_http_get(EventLoop& loop, Resolver& resolver, HttpGetRequest req,
                                               std::chrono::milliseconds timeout, ProbeDone done);

}  // namespace skiff::probes
