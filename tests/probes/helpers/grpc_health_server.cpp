// A real gRPC server for the probe tests, from grpc++: the standard grpc.health.v1 service (grpc++'s
// default health service) on --listen ADDR (port 0: any; the chosen port is printed as "ready PORT").
// With --no-health it serves nothing, so Health/Check is UNIMPLEMENTED. Commands on stdin:
//   set SERVICE SERVING|NOT_SERVING   ("" as SERVICE: the server's overall status, written as -)
// It exits when stdin closes.
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  bool health = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--listen") && i + 1 < argc) {
      listen = argv[++i];
    } else if (!std::strcmp(argv[i], "--no-health")) {
      health = false;
    } else {
      std::cerr << "usage: " << argv[0] << " [--listen ADDR:PORT] [--no-health]\n";
      return 2;
    }
  }
  grpc::EnableDefaultHealthCheckService(health);
  grpc::ServerBuilder builder;
  // Every method no service claims answers UNIMPLEMENTED, as on a server without it (grpc++ wants at
  // least one service registered).
  struct Unimplemented : grpc::CallbackGenericService {
    grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override {
      struct Reactor : grpc::ServerGenericBidiReactor {
        Reactor() { Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "")); }
        void OnDone() override { delete this; }
      };
      return new Reactor;
    }
  } generic;
  builder.RegisterCallbackGenericService(&generic);
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  auto server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "cannot listen on " << listen << "\n";
    return 1;
  }
  std::cout << "ready " << port << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd, service, status;
    in >> cmd >> service >> status;
    if (cmd != "set" || !health) continue;
    if (service == "-") service.clear();
    bool serving = status == "SERVING";
    if (service.empty()) {
      server->GetHealthCheckService()->SetServingStatus(serving);
    } else {
      server->GetHealthCheckService()->SetServingStatus(service, serving);
    }
    std::cout << "ok" << std::endl;
  }
  server->Shutdown();
  return 0;
}
