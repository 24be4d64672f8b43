#include "service_cli.hpp"

#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "error.hpp"
#include "file_util.hpp"
#include "service_proxy.hpp"

namespace skiff::net {
namespace {

using nlohmann::json;

struct Options {
  std::string state_dir, network_state_dir, service_cidr = "10.96.0.0/16", node_ports = "30000-32767";
  std::string file;
};

ServiceProxyOptions proxy_options(const Options& o) {
  ServiceProxyOptions p;
  p.state_dir = o.state_dir;
  p.network_state_dir = o.network_state_dir;
  p.ranges.service_cidr = parse_cidr(o.service_cidr);
  unsigned lo = 0, hi = 0;
  char dash = 0;
  std::istringstream in(o.node_ports);
  if (!(in >> lo >> dash >> hi) || dash != '-' || !in.eof() || lo == 0 || hi > 65535 || lo > hi)
    throw Error("--node-port-range \"" + o.node_ports + "\" is not FIRST-LAST");
  p.ranges.node_port_min = static_cast<uint16_t>(lo);
  p.ranges.node_port_max = static_cast<uint16_t>(hi);
  return p;
}

json status_json(const ServiceStatus& s) {
  json ports = json::array();
  for (const auto& p : s.ports) {
    json eps = json::array();
    for (const auto& e : p.endpoints) eps.push_back(e.address.str() + ":" + std::to_string(e.port));
    ports.push_back({{"name", p.port.name},
                     {"protocol", p.port.protocol == Proto::tcp ? "TCP" : "UDP"},
                     {"port", p.port.port},
                     {"nodePort", p.port.node_port},
                     {"endpoints", eps},
                     {"terminatingFallback", p.terminating_fallback}});
  }
  return {{"name", s.name},
          {"type", to_string(s.type)},
          {"clusterIP", s.headless ? "None" : s.cluster_ip.str()},
          {"ports", ports}};
}

template <typename F>
void run(int& code, const std::string& what, F&& f) {
  try {
    f();
    code = 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "skiff-network service %s: %s\n", what.c_str(), e.what());
    code = 1;
  }
}

}  // namespace

void register_service_cli(CLI::App& app, int& code) {
  auto o = std::make_shared<Options>();
  auto* svc = app.add_subcommand("service", "Services: virtual IPs, node ports and load balancer ports");
  svc->require_subcommand(1);
  svc->add_option("--state-dir", o->state_dir,
                  "allocations (default $SKIFF_SERVICE_STATE_DIR or /var/lib/skiff/services)");
  svc->add_option("--network-state-dir", o->network_state_dir,
                  "the bridge networks (default $SKIFF_NETWORK_STATE_DIR or /var/lib/skiff/networks)");
  svc->add_option("--service-cidr", o->service_cidr, "the cluster IP range (default 10.96.0.0/16)");
  svc->add_option("--node-port-range", o->node_ports, "the NodePort range (default 30000-32767)");

  auto* sync = svc->add_subcommand(
      "sync", "make the Services exactly those of FILE (JSON: an array of services, see service_spec.hpp)");
  sync->add_option("file", o->file, "the file, or - for stdin")->required();
  sync->callback([o, &code] {
    run(code, "sync", [&] {
      std::string text =
          o->file == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {}) : read_file(o->file);
      std::vector<ServiceSpec> specs;
      try {
        json j = json::parse(text);
        specs = (j.is_object() ? j.at("services") : j).get<std::vector<ServiceSpec>>();
      } catch (const json::exception& e) {
        throw Error(o->file + ": " + e.what());
      }
      ServiceProxy proxy(proxy_options(*o));
      json out = json::array();
      for (const auto& s : proxy.sync(specs)) out.push_back(status_json(s));
      std::printf("%s\n", out.dump(1).c_str());
    });
  });

  auto* teardown = svc->add_subcommand("teardown", "remove every rule of the Services (allocations stay)");
  teardown->callback(
      [o, &code] { run(code, "teardown", [&] { ServiceProxy(proxy_options(*o)).teardown(); }); });
}

}  // namespace skiff::net
