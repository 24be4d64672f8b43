// skiff-runtime: an OCI runtime with runc's command line (as go-runc, containerd's shim and podman's
// conmon call it). Every failure is one line "skiff-runtime: <command> <id>: <reason>" and exit 1.
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cgroup_cli.hpp"
#include "cli_args.hpp"
#include "container.hpp"
#include "error.hpp"
#include "features.hpp"
#include "file_util.hpp"
#include "log.hpp"
#include "rootless.hpp"
#include "signals.hpp"
#include "spec.hpp"

namespace {

constexpr const char* kProgram = "skiff-runtime";

struct Globals {
  std::string root;
  std::string log_path;
  std::string log_format = "text";
  bool debug = false;
  bool systemd_cgroup = false;
  std::string rootless = "auto";
};

std::string cmdline_of(pid_t pid) {
  try {
    std::string c = skiff::read_file("/proc/" + std::to_string(pid) + "/cmdline");
    for (auto& ch : c)
      if (ch == 0) ch = ' ';
    while (!c.empty() && c.back() == ' ') c.pop_back();
    return c;
  } catch (...) {
    return "";
  }
}

void print_list(const std::vector<skiff::Runtime::ListEntry>& entries, const std::string& format,
                bool quiet) {
  if (quiet) {
    for (const auto& e : entries) std::printf("%s\n", e.state.id.c_str());
    return;
  }
  if (format == "json") {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& e : entries)
      arr.push_back(nlohmann::ordered_json::parse(e.state.to_oci_json(e.status, -1)));
    std::printf("%s\n", arr.dump().c_str());
    return;
  }
  std::vector<std::array<std::string, 6>> rows = {{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const auto& e : entries)
    rows.push_back({e.state.id, std::to_string(e.status == skiff::Status::stopped ? 0 : e.state.pid),
                    skiff::status_name(e.status), e.state.bundle, e.state.created, e.state.owner});
  std::array<size_t, 6> w{};
  for (const auto& r : rows)
    for (size_t i = 0; i < 6; ++i) w[i] = std::max(w[i], r[i].size());
  for (const auto& r : rows) {
    for (size_t i = 0; i < 6; ++i)
      std::printf("%-*s%s", static_cast<int>(w[i]), r[i].c_str(), i < 5 ? "   " : "\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  Globals g;
  CLI::App app{"skiff-runtime: an OCI container runtime", kProgram};
  app.set_version_flag("-v,--version", std::string("skiff-runtime version 0.1.0\nspec: 1.2.0"));
  app.require_subcommand(1);
  app.add_option("--root", g.root, "state directory");
  app.add_option("--log", g.log_path, "log file");
  app.add_option("--log-format", g.log_format, "text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", g.debug, "debug output");
  app.add_flag("--systemd-cgroup", g.systemd_cgroup, "use systemd for cgroups");
  app.add_option("--rootless", g.rootless, "true, false or auto");
  std::string criu;
  app.add_option("--criu", criu, "ignored: checkpoint/restore is not supported")->group("");

  std::string id;
  std::string action;
  skiff::CreateOptions copts;
  auto add_create_flags = [&](CLI::App* c) {
    c->add_option("-b,--bundle", copts.bundle, "bundle directory");
    c->add_option("--pid-file", copts.pid_file, "write the init's pid here");
    c->add_option("--console-socket", copts.console_socket, "unix socket that receives the pty master");
    c->add_flag("--no-pivot", copts.no_pivot, "use MS_MOVE + chroot instead of pivot_root");
    c->add_flag("--no-new-keyring", copts.no_new_keyring, "keep the caller's session keyring");
    c->add_option("--preserve-fds", copts.preserve_fds, "pass N extra fds (3..3+N-1)");
    c->add_option("id", id, "container id")->required();
  };
  auto* create = app.add_subcommand("create", "create a container");
  add_create_flags(create);
  bool detach = false, keep = false, no_subreaper = false;
  auto* run = app.add_subcommand("run", "create and start a container");
  add_create_flags(run);
  run->add_flag("-d,--detach", detach, "detach from the container's process");
  run->add_flag("--keep", keep, "keep the state after the container exits");
  run->add_flag("--no-subreaper", no_subreaper, "accepted for compatibility");
  auto* start = app.add_subcommand("start", "start a created container");
  start->add_option("id", id)->required();
  auto* state = app.add_subcommand("state", "print a container's state");
  state->add_option("id", id)->required();
  bool all = false;
  std::string signal = "SIGTERM";
  auto* kill = app.add_subcommand("kill", "signal a container's init (or all its processes)");
  kill->add_flag("-a,--all", all, "signal every process of the container");
  kill->add_option("id", id)->required();
  kill->add_option("signal", signal, "signal name or number");
  bool force = false;
  auto* del = app.add_subcommand("delete", "delete a container");
  del->add_flag("-f,--force", force, "kill it first if it runs");
  del->add_option("id", id)->required();
  std::string format = "table";
  bool quiet = false;
  auto* list = app.add_subcommand("list", "list containers");
  list->add_option("-f,--format", format)->check(CLI::IsMember({"table", "json"}));
  list->add_flag("-q,--quiet", quiet);
  auto* ps = app.add_subcommand("ps", "processes of a container");
  ps->add_option("-f,--format", format)->check(CLI::IsMember({"table", "json"}));
  ps->add_option("id", id)->required();
  std::vector<std::string> ps_args;
  ps->add_option("ps-args", ps_args, "ignored ps(1) options");
  skiff::ExecOptions eo;
  auto* exec = app.add_subcommand("exec", "run a process in a running container");
  exec->add_option("-p,--process", eo.process_file, "process JSON");
  exec->add_flag("-t,--tty", eo.tty);
  exec->add_option("--console-socket", eo.console_socket);
  exec->add_flag("-d,--detach", eo.detach);
  exec->add_option("--pid-file", eo.pid_file);
  exec->add_option("--cwd", eo.cwd);
  exec->add_option("-e,--env", eo.env);
  exec->add_option("-u,--user", eo.user);
  exec->add_option("-c,--cap", eo.caps);
  exec->add_flag("--no-new-privs", eo.no_new_privs);
  exec->add_option("--preserve-fds", eo.preserve_fds);
  std::string exec_label, exec_apparmor, exec_cgroup;
  exec->add_option("--process-label", exec_label)->group("");
  exec->add_option("--apparmor", exec_apparmor)->group("");
  exec->add_option("--cgroup", exec_cgroup)->group("");
  exec->add_option("id", id)->required();
  exec->add_option("command", eo.args);
  bool spec_rootless = false;
  std::string spec_bundle = ".";
  auto* specc = app.add_subcommand("spec", "write a default config.json");
  specc->add_flag("--rootless", spec_rootless);
  specc->add_option("-b,--bundle", spec_bundle);
  auto* features = app.add_subcommand("features", "what this runtime supports (JSON)");
  auto* pause = app.add_subcommand("pause", "freeze every process of a container");
  pause->add_option("id", id)->required();
  auto* resume = app.add_subcommand("resume", "thaw a paused container");
  resume->add_option("id", id)->required();
  skiff::UpdateFlags uflags;
  auto* update = app.add_subcommand("update", "change a running container's resource limits");
  skiff::add_update_flags(update, uflags);
  update->add_option("id", id)->required();
  bool events_stats = false;
  std::string events_interval = "5s";
  auto* events = app.add_subcommand("events", "stats and OOM events of a container (JSON lines)");
  events->add_flag("--stats", events_stats, "print the stats once and exit");
  events->add_option("--interval", events_interval, "time between stats (Go duration, default 5s)");
  events->add_option("id", id)->required();
  for (const char* name : {"checkpoint", "restore"}) {
    auto* c = app.add_subcommand(name, "not supported yet");
    c->allow_extras();
    c->add_option("id", id);
  }

  // Flag tables for Go-style normalization, from what CLI11 knows.
  skiff::FlagTable gt, ct;
  auto collect = [](CLI::App* a, skiff::FlagTable& t) {
    for (const CLI::Option* opt : a->get_options()) {
      for (const auto& ln : opt->get_lnames())
        (opt->get_expected_min() == 0 ? t.boolean : t.with_value).insert(ln);
    }
  };
  collect(&app, gt);
  for (CLI::App* sub : app.get_subcommands({})) collect(sub, ct);
  std::vector<std::string> raw(argv, argv + argc);
  auto args = skiff::normalize_runtime_args(raw, gt, ct);
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());

  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: %s\n", kProgram, e.what());
    return 1;
  }
  CLI::App* cmd = app.get_subcommands().front();
  action = cmd->get_name();
  try {
    skiff::log::init(g.log_path, g.log_format == "json" ? skiff::log::Format::json : skiff::log::Format::text,
                     g.debug);
  } catch (const std::exception& e) {
    skiff::log::fatal(kProgram, action, id, e.what());
    return 1;
  }
  try {
    skiff::set_rootless_mode(g.rootless);
  } catch (const std::exception& e) {
    skiff::log::fatal(kProgram, action, id, e.what());
    return 1;
  }
  if (g.root.empty()) g.root = skiff::default_state_root();
  skiff::Runtime rt(g.root);
  try {
    if (g.systemd_cgroup)
      throw skiff::Error(
          "--systemd-cgroup: the systemd cgroup driver is not available (PID 1 is not systemd)");
    if (cmd == create) {
      copts.id = id;
      rt.create(copts);
    } else if (cmd == run) {
      copts.id = id;
      return rt.run(copts, detach, keep);
    } else if (cmd == start) {
      rt.start(id);
    } else if (cmd == state) {
      std::printf("%s\n", rt.state_json(id).c_str());
    } else if (cmd == kill) {
      rt.kill(id, skiff::parse_signal(signal), all);
    } else if (cmd == del) {
      rt.remove(id, force);
    } else if (cmd == list) {
      print_list(rt.list(), format, quiet);
    } else if (cmd == ps) {
      auto pids = rt.pids(id);
      if (format == "json") {
        std::printf("%s\n", nlohmann::json(pids).dump().c_str());
      } else {
        std::printf("PID   CMD\n");
        for (pid_t p : pids) std::printf("%-5d %s\n", p, cmdline_of(p).c_str());
      }
    } else if (cmd == exec) {
      eo.id = id;
      return rt.exec(eo);
    } else if (cmd == specc) {
      std::string path = spec_bundle + "/config.json";
      struct stat st;
      if (::stat(path.c_str(), &st) == 0) throw skiff::Error("File " + path + " exists. Remove it first");
      skiff::write_file_atomic(path, skiff::spec::default_spec(spec_rootless).dump(1, '\t') + "\n", 0644);
    } else if (cmd == pause) {
      rt.pause(id);
    } else if (cmd == resume) {
      rt.resume(id);
    } else if (cmd == update) {
      rt.update(id, skiff::update_resources(uflags));
    } else if (cmd == events) {
      if (events_stats) {
        std::printf("%s\n", rt.stats_json(id).c_str());
      } else {
        rt.events(id, skiff::parse_go_duration_ms(events_interval), true, [](const std::string& line) {
          std::printf("%s\n", line.c_str());
          std::fflush(stdout);
        });
      }
    } else if (cmd == features) {
      std::printf("%s\n", skiff::features_json().c_str());
    } else {
      throw skiff::Error("not supported yet");
    }
  } catch (const std::exception& e) {
    skiff::log::fatal(kProgram, action, id, e.what());
    return 1;
  }
  return 0;
}
