// What a user runs for gRPC health checks without a built-in probe: a grpc_health_probe-like client
// from grpc++ (a new channel per check, as the kubelet and grpc_health_probe do). The peer of the
// probes benchmark; -n N does N checks in one process so the cost per check can be measured.
//   sk-grpc-health-probe -addr HOST:PORT [-service NAME] [-timeout SECONDS] [-n N]
// Exit 0 when every check answered SERVING, 1 otherwise (the status or error on stderr).
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <string>

namespace {

std::string request(const std::string& service) {
  if (service.empty()) return "";
  return std::string("\x0a", 1) + static_cast<char>(service.size()) + service;  // field 1 (short names)
}

int status_of(const grpc::ByteBuffer& resp) {
  grpc::Slice slice;
  if (!resp.TrySingleSlice(&slice).ok() && !resp.DumpToSingleSlice(&slice).ok()) return -1;
  std::string m(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return m.size() >= 2 && m[0] == 0x08 ? static_cast<unsigned char>(m[1]) : 0;
}

bool check(const std::string& addr, const std::string& service, double timeout_s) {
  auto channel = grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::microseconds(static_cast<int64_t>(timeout_s * 1e6)));
  ctx.set_wait_for_ready(true);
  std::string req = request(service);
  grpc::Slice slice(req);
  grpc::ByteBuffer in(&slice, 1), out;
  grpc::CompletionQueue cq;
  auto rpc = stub.PrepareUnaryCall(&ctx, "/grpc.health.v1.Health/Check", in, &cq);
  rpc->StartCall();
  grpc::Status st;
  rpc->Finish(&out, &st, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!st.ok()) {
    std::cerr << "error: rpc failed: code " << st.error_code() << ": " << st.error_message() << "\n";
    return false;
  }
  int s = status_of(out);
  if (s != 1) {
    std::cerr << "service unhealthy (status " << s << ")\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string addr, service;
  double timeout = 1;
  long n = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "-addr")) {
      addr = argv[i + 1];
    } else if (!std::strcmp(argv[i], "-service")) {
      service = argv[i + 1];
    } else if (!std::strcmp(argv[i], "-timeout")) {
      timeout = std::stod(argv[i + 1]);
    } else if (!std::strcmp(argv[i], "-n")) {
      n = std::stol(argv[i + 1]);
    }
  }
  if (addr.empty()) {
    std::cerr << "usage: " << argv[0] << " -addr HOST:PORT [-service NAME] [-timeout SECONDS] [-n N]\n";
    return 2;
  }
  bool all = true;
  for (long i = 0; i < n; ++i) all = check(addr, service, timeout) && all;
  if (all && n == 1) std::cout << "status: SERVING\n";
  return all ? 0 : 1;
}
