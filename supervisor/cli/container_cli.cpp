// Container commands of `skiff` for containers made by `skiff run`: ps, stop, logs. (run and rm live
// with the image commands, image_cli.cpp: they make and remove a container's rootfs.)
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "cli_commands.hpp"
#include "container.hpp"
#include "container_log.hpp"
#include "container_rootfs.hpp"
#include "error.hpp"
#include "file_util.hpp"
#include "signals.hpp"
#include "store_locations.hpp"

namespace skiff::cli {

namespace {

Status status_of(Runtime& rt, const std::string& id) {
  auto s = nlohmann::json::parse(rt.state_json(id)).value("status", "");
  for (Status st : {Status::creating, Status::created, Status::running, Status::paused})
    if (s == status_name(st)) return st;
  return Status::stopped;
}

// Polls until the container has stopped or `timeout` has passed; true if it stopped.
bool wait_stopped(Runtime& rt, const std::string& id, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (status_of(rt, id) == Status::stopped) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// The image's StopSignal (recorded by `skiff run` as an annotation), else SIGTERM, as Docker.
int stop_signal(const ContainerState& st) {
  auto it = st.annotations.find("skiff.image.stopSignal");
  return it == st.annotations.end() ? SIGTERM : parse_signal(it->second);
}

// "sh -c echo hi" from the bundle's config.json, shortened for a table.
std::string command_of(const std::string& bundle) {
  std::string cmd;
  try {
    auto spec = nlohmann::json::parse(read_file(bundle + "/config.json"));
    for (const auto& a : spec["process"]["args"]) cmd += (cmd.empty() ? "" : " ") + a.get<std::string>();
  } catch (const std::exception&) {
    return "?";
  }
  if (cmd.size() > 30) cmd = cmd.substr(0, 27) + "...";
  return "\"" + cmd + "\"";
}

}  // namespace

void register_container_commands(CLI::App& app, ExitCode& exit_code) {
  // skiff ps
  auto* ps = app.add_subcommand("ps", "List containers made by skiff run");
  auto ps_all = std::make_shared<bool>(false);
  auto ps_quiet = std::make_shared<bool>(false);
  ps->add_flag("-a,--all", *ps_all, "Stopped containers too");
  ps->add_flag("-q,--quiet", *ps_quiet, "Only the ids");
  ps->callback([=] {
    auto paths = image_store();
    Runtime rt(runtime_root());
    std::map<std::string, image::ContainerImageRecord> records;
    for (auto& [id, rec] : image::list_container_records(paths)) records[id] = rec;
    if (!*ps_quiet)
      std::printf("%-20s %-40s %-32s %-20s %s\n", "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS");
    std::set<std::string> listed;
    for (const auto& e : rt.list()) {
      auto rec = records.find(e.state.id);
      // Only skiff's own: the runtime's root may hold containers of other tools (podman, a shim).
      if (rec == records.end() || e.state.bundle != paths.container(e.state.id)) continue;
      listed.insert(e.state.id);
      if (e.status == Status::stopped && !*ps_all) continue;
      if (*ps_quiet) {
        std::printf("%s\n", e.state.id.c_str());
        continue;
      }
      std::printf("%-20s %-40s %-32s %-20s %s\n", e.state.id.c_str(), rec->second.image_ref.c_str(),
                  command_of(e.state.bundle).c_str(), e.state.created.substr(0, 19).c_str(),
                  status_name(e.status));
    }
    // A container directory the runtime no longer knows (its run was interrupted): `skiff rm` cleans it.
    if (*ps_all)
      for (const auto& [id, rec] : records) {
        if (listed.count(id)) continue;
        if (*ps_quiet)
          std::printf("%s\n", id.c_str());
        else
          std::printf("%-20s %-40s %-32s %-20s %s\n", id.c_str(), rec.image_ref.c_str(),
                      command_of(paths.container(id)).c_str(), "-", "removed (rootfs left)");
      }
  });

  // skiff stop
  auto* stop = app.add_subcommand("stop", "Stop containers: their stop signal, then SIGKILL after a timeout");
  auto stop_ids = std::make_shared<std::vector<std::string>>();
  auto stop_timeout = std::make_shared<int>(10);
  stop->add_option("-t,--time", *stop_timeout, "Seconds to wait before SIGKILL (default 10)")
      ->check(CLI::Range(0, 86400));
  stop->add_option("id", *stop_ids)->required();
  stop->callback([=, &exit_code] {
    Runtime rt(runtime_root());
    for (const auto& id : *stop_ids) {
      try {
        validate_container_id(id);
        auto lock = rt.store().open(id);
        ContainerState st = rt.store().load(lock);
        lock = StateStore::Locked{};  // kill and state take it themselves
        if (status_of(rt, id) != Status::stopped) {
          try {
            rt.kill(id, stop_signal(st), /*all=*/false);
          } catch (const Error&) {
            // Stopped in between: that is what we wanted.
          }
          if (!wait_stopped(rt, id, std::chrono::seconds(*stop_timeout))) {
            try {
              rt.kill(id, SIGKILL, /*all=*/true);
            } catch (const Error&) {
            }
            if (!wait_stopped(rt, id, std::chrono::seconds(10)))
              throw Error("still running 10 s after SIGKILL");
          }
        }
        std::printf("%s\n", id.c_str());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "skiff: stop %s: %s\n", id.c_str(), e.what());
        exit_code.value = 1;
      }
    }
  });

  // skiff logs
  auto* logs = app.add_subcommand("logs", "Print a container's kept output (not kept with --rm)");
  auto logs_id = std::make_shared<std::string>();
  auto logs_follow = std::make_shared<bool>(false);
  logs->add_flag("-f,--follow", *logs_follow, "Keep printing until the container's output ends");
  logs->add_option("id", *logs_id)->required();
  logs->callback([=, &exit_code] {
    validate_container_id(*logs_id);
    std::string dir = image_store().container(*logs_id);
    if (::access(dir.c_str(), F_OK) != 0) throw Error("logs " + *logs_id + ": no such container");
    // A reader that goes away (logs -f | head) ends us quietly.
    ::signal(SIGPIPE, SIG_IGN);
    try {
      copy_log(dir, STDOUT_FILENO, *logs_follow);
    } catch (const Error& e) {
      throw Error("logs " + *logs_id + ": " + e.what());
    }
    exit_code.value = 0;
  });
}

SKIFF_CLI_COMMANDS(register_container_commands);

}  // namespace skiff::cli
