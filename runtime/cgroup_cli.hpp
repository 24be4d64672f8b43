// The command-line side of `update` and `events`: runc's flags, turned into linux.resources JSON.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace skiff {

struct UpdateFlags {
  std::string resources_file;  // -r/--resources FILE or "-" (stdin)
  std::optional<std::string> memory, memory_swap, memory_reservation, kernel_memory, kernel_memory_tcp;
  std::optional<std::string> cpu_share, cpu_period, cpu_quota, cpu_burst, cpu_rt_period, cpu_rt_runtime,
      cpu_idle;
  std::optional<std::string> cpuset_cpus, cpuset_mems;
  std::optional<std::string> pids_limit, blkio_weight;
};

void add_update_flags(CLI::App* update, UpdateFlags& f);

// The resources JSON of an update: the --resources document, with individual flags applied on top
// (as runc does). Throws Error naming the flag on a malformed value.
nlohmann::json update_resources(const UpdateFlags& f);

// "512m", "1g", "1024", "-1" -> bytes (-1 = unlimited), as runc's RAMInBytes reads them.
int64_t parse_byte_size(const std::string& flag, const std::string& value);
// Go durations: "5s", "100ms", "1m30s". Throws on anything else or a non-positive value.
int parse_go_duration_ms(const std::string& text);

}  // namespace skiff
