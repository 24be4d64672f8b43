// `skiff network create|ls|inspect|rm|attach|detach|reclaim`: netns/'s NetworkStore from the command
// line, for tests, debugging and scripts (the supervisor and `skiff run --network` use the library).
// The same commands are `skiff network …` and the lean `skiff-network …` (skiff_network_main.cpp).
// Output is JSON where a program reads it (inspect, attach, ls --json); errors are one line on stderr:
// `skiff network <command> <what>: <reason>`, exit status 1.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "error.hpp"
#include "network_cli.hpp"
#include "network_store.hpp"
#include "rootless_pasta.hpp"

namespace skiff::net {
namespace {

using nlohmann::json;

json attachment_json(const Attachment& a) {
  json ports = json::array();
  for (const auto& p : a.ports) ports.push_back(p.str());
  return json{{"network", a.network},
              {"container_id", a.container_id},
              {"name", a.name},
              {"address", a.address.str()},
              {"gateway", a.gateway.str()},
              {"mac", a.mac},
              {"host_veth", a.host_veth},
              {"ifname", a.ifname},
              {"hosts", a.hosts_path},
              {"resolv_conf", a.resolv_conf_path},
              {"ports", ports},
              {"netns", a.netns_path},
              {"pid", a.pid}};
}

json config_json(const net::NetworkConfig& c) {
  json j;
  to_json(j, c);
  return j;
}

struct Options {
  std::string state_dir = NetworkStore::default_state_dir();
  // create
  std::string name, subnet, gateway, bridge;
  unsigned mtu = 1500;
  std::vector<std::string> dns, dns_search;
  // ls
  bool json_out = false;
  // rm
  std::vector<std::string> names;
  bool force = false;
  // attach / detach
  std::string network = net::kDefaultNetwork;
  std::string id, ctr_name, netns_path, ifname = "eth0";
  int pid = 0;
  std::vector<std::string> aliases, publish;
  bool rootless = false;
};

// Rootless (pasta) when asked, or when the caller is not root (no bridge, veth or nftables then).
bool use_pasta(const Options& o) {
  return o.rootless || geteuid() != 0;
}

// A rootless caller's state dir: --state-dir or $SKIFF_NETWORK_STATE_DIR if given, else
// $XDG_RUNTIME_DIR/skiff/networks (the system default is root's).
std::string pasta_state_dir(const Options& o, const CLI::App& netcmd) {
  const char* env = std::getenv("SKIFF_NETWORK_STATE_DIR");
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (netcmd.count("--state-dir") || (env && *env) || !xdg || !*xdg) return o.state_dir;
  return std::string(xdg) + "/skiff/networks";
}

// Runs one command; a failure is one line on stderr and exit status 1.
template <typename F>
void run(int& code, const std::string& what, F&& f) {
  try {
    f();
    code = 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "skiff network %s: %s\n", what.c_str(), e.what());
    code = 1;
  }
}

}  // namespace

void register_network_cli(CLI::App& app, int& code) {
  auto o = std::make_shared<Options>();
  auto* netcmd = app.add_subcommand("network", "bridge networks: create, list, attach containers");
  netcmd->require_subcommand(1);
  netcmd->add_option("--state-dir", o->state_dir,
                     "network state (default $SKIFF_NETWORK_STATE_DIR or /var/lib/skiff/networks)");

  auto* create = netcmd->add_subcommand("create", "create a network and its bridge");
  create->add_option("name", o->name, "network name")->required();
  create->add_option("--subnet", o->subnet, std::string("IPv4 subnet (default ") + net::kDefaultSubnet + ")");
  create->add_option("--gateway", o->gateway, "the bridge's address (default: the subnet's first)");
  create->add_option("--bridge", o->bridge, "bridge interface name (default: the network name)");
  create->add_option("--mtu", o->mtu, "MTU of the bridge and the containers' eth0 (default 1500)");
  create->add_option("--dns", o->dns, "nameserver for the containers' resolv.conf (repeatable)");
  create->add_option("--dns-search", o->dns_search, "search domain for resolv.conf (repeatable)");
  create->callback([o, &code] {
    run(code, "create " + o->name, [&] {
      NetworkStore store(o->state_dir);
      auto c = store.create(
          net::make_network_config(o->name, o->subnet, o->gateway, o->bridge, o->mtu, o->dns, o->dns_search));
      std::printf("%s\n", c.name.c_str());
    });
  });

  auto* ls = netcmd->add_subcommand("ls", "list networks");
  ls->add_flag("--json", o->json_out, "one JSON array");
  ls->callback([o, &code] {
    run(code, "ls", [&] {
      NetworkStore store(o->state_dir);
      json arr = json::array();
      if (!o->json_out)
        std::printf("%-16s %-16s %-18s %-15s %s\n", "NAME", "BRIDGE", "SUBNET", "GATEWAY", "CONTAINERS");
      for (const auto& c : store.list()) {
        auto s = store.inspect(c.name);
        if (o->json_out) {
          json j = config_json(c);
          j["containers"] = s.attachments.size();
          arr.push_back(j);
        } else {
          std::printf("%-16s %-16s %-18s %-15s %zu\n", c.name.c_str(), c.bridge.c_str(),
                      c.subnet.str().c_str(), c.gateway.str().c_str(), s.attachments.size());
        }
      }
      if (o->json_out) std::printf("%s\n", arr.dump(1).c_str());
    });
  });

  auto* inspect = netcmd->add_subcommand("inspect", "a network's config and attachments as JSON");
  inspect->add_option("name", o->name, "network name")->required();
  inspect->callback([o, &code] {
    run(code, "inspect " + o->name, [&] {
      NetworkStore store(o->state_dir);
      auto s = store.inspect(o->name);
      json j = config_json(s.config);
      j["bridge_present"] = s.bridge_present;
      j["containers"] = json::array();
      for (const auto& a : s.attachments) j["containers"].push_back(attachment_json(a));
      std::printf("%s\n", j.dump(1).c_str());
    });
  });

  auto* rm = netcmd->add_subcommand("rm", "remove networks and their bridges");
  rm->add_option("names", o->names, "network names")->required();
  rm->add_flag("-f,--force", o->force, "detach attached containers first");
  rm->callback([o, &code] {
    int failed = 0;
    for (const auto& n : o->names) {
      run(code, "rm " + n, [&] {
        NetworkStore store(o->state_dir);
        store.remove(n, o->force);
      });
      failed |= code;
    }
    code = failed;
  });

  auto* attach =
      netcmd->add_subcommand("attach", "give a container's network namespace an address on a network");
  attach->add_option("id", o->id, "container id")->required();
  auto* by_path =
      attach->add_option("--netns", o->netns_path, "the namespace's path (/run/netns/X, /proc/PID/ns/net)");
  auto* by_pid = attach->add_option("--pid", o->pid, "a process in the namespace");
  by_path->excludes(by_pid);
  attach->add_option("--network", o->network, std::string("network (default ") + net::kDefaultNetwork + ")");
  attach->add_option("--name", o->ctr_name, "host name in the network's hosts files (default: the id)");
  attach->add_option("--alias", o->aliases, "another name (repeatable)");
  attach->add_option("-p,--publish", o->publish, "[HOST_IP:]HOST_PORT:CTR_PORT[/tcp|udp] (repeatable)");
  attach->add_option("--ifname", o->ifname, "interface name inside (default eth0)");
  attach->add_flag("--rootless", o->rootless,
                   "through pasta (outbound + published ports), no bridge; the default when not root");
  attach->callback([o, netcmd, &code] {
    run(code, "attach " + o->id, [&] {
      if (o->netns_path.empty() && o->pid == 0)
        throw Error("give the container's namespace: --netns PATH or --pid PID");
      if (use_pasta(*o)) {
        if (o->pid == 0)
          throw Error("rootless attach (pasta) needs --pid PID (it joins the pid's user namespace)");
        net::PastaRequest pr;
        pr.state_dir = pasta_state_dir(*o, *netcmd);
        pr.container_id = o->id;
        pr.pid = o->pid;
        for (const auto& p : o->publish) pr.ports.push_back(net::parse_port_mapping(p));
        auto a = net::pasta_attach(pr);
        json ports = json::array();
        for (const auto& p : pr.ports) ports.push_back(p.str());
        std::printf("%s\n", json{{"container_id", o->id},
                                 {"mode", "pasta"},
                                 {"pasta_pid", a.pasta_pid},
                                 {"pid_file", a.pid_file},
                                 {"ports", ports},
                                 {"pid", o->pid}}
                                .dump(1)
                                .c_str());
        return;
      }
      net::AttachRequest r;
      r.network = o->network;
      r.container_id = o->id;
      r.name = o->ctr_name;
      r.aliases = o->aliases;
      r.ifname = o->ifname;
      for (const auto& p : o->publish) r.ports.push_back(net::parse_port_mapping(p));
      auto ns =
          o->netns_path.empty() ? net::NetnsRef::from_pid(o->pid) : net::NetnsRef::from_path(o->netns_path);
      NetworkStore store(o->state_dir);
      std::printf("%s\n", attachment_json(store.attach(r, ns)).dump(1).c_str());
    });
  });

  auto* detach = netcmd->add_subcommand("detach", "remove a container from a network, releasing its address");
  detach->add_option("id", o->id, "container id")->required();
  detach->add_option("--network", o->network, std::string("network (default ") + net::kDefaultNetwork + ")");
  detach->add_flag("--rootless", o->rootless, "stop the container's pasta; the default when not root");
  detach->callback([o, netcmd, &code] {
    run(code, "detach " + o->id, [&] {
      if (use_pasta(*o)) {
        if (!net::pasta_detach(pasta_state_dir(*o, *netcmd), o->id))
          throw Error("container " + o->id + " has no rootless (pasta) network");
        return;
      }
      NetworkStore store(o->state_dir);
      if (!store.detach(o->network, o->id))
        throw Error("container " + o->id + " is not attached to network " + o->network);
    });
  });

  auto* reclaim = netcmd->add_subcommand("reclaim", "free the addresses of containers that are gone");
  reclaim->callback([o, &code] {
    run(code, "reclaim", [&] {
      NetworkStore store(o->state_dir);
      std::printf("%d\n", store.reclaim());
    });
  });
}

}  // namespace skiff::net
