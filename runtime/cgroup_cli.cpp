#include "cgroup_cli.hpp"

#include <cctype>
#include <iostream>
#include <iterator>

#include "error.hpp"
#include "file_util.hpp"

namespace skiff {

void add_update_flags(CLI::App* u, UpdateFlags& f) {
  u->add_option("-r,--resources", f.resources_file, "linux.resources JSON file, or - for stdin");
  u->add_option("--memory", f.memory, "memory limit (bytes, or with k/m/g suffix; -1 unlimited)");
  u->add_option("--memory-swap", f.memory_swap, "memory+swap limit");
  u->add_option("--memory-reservation", f.memory_reservation, "memory soft limit");
  u->add_option("--kernel-memory", f.kernel_memory, "ignored (deprecated)");
  u->add_option("--kernel-memory-tcp", f.kernel_memory_tcp, "ignored (deprecated)");
  u->add_option("--cpu-share", f.cpu_share, "CPU shares (relative weight)");
  u->add_option("--cpu-period", f.cpu_period, "CFS period in microseconds");
  u->add_option("--cpu-quota", f.cpu_quota, "CFS quota in microseconds");
  u->add_option("--cpu-burst", f.cpu_burst, "CFS burst in microseconds");
  u->add_option("--cpu-rt-period", f.cpu_rt_period, "realtime period in microseconds");
  u->add_option("--cpu-rt-runtime", f.cpu_rt_runtime, "realtime runtime in microseconds");
  u->add_option("--cpu-idle", f.cpu_idle, "SCHED_IDLE for the cgroup (0 or 1)");
  u->add_option("--cpuset-cpus", f.cpuset_cpus, "CPUs allowed (0-3,5)");
  u->add_option("--cpuset-mems", f.cpuset_mems, "memory nodes allowed");
  u->add_option("--pids-limit", f.pids_limit, "maximum number of processes (-1 unlimited)");
  u->add_option("--blkio-weight", f.blkio_weight, "block IO weight (10..1000)");
  std::string l3, mb;
  u->add_option("--l3-cache-schema", l3, "not supported (Intel RDT)")->group("");
  u->add_option("--mem-bw-schema", mb, "not supported (Intel RDT)")->group("");
}

int64_t parse_byte_size(const std::string& flag, const std::string& value) {
  if (value == "-1") return -1;
  size_t i = 0;
  while (i < value.size() && (std::isdigit(static_cast<unsigned char>(value[i])) || value[i] == '.')) ++i;
  if (i == 0) throw Error("--" + flag + " \"" + value + "\": expected a size like 512m");
  double n;
  try {
    n = std::stod(value.substr(0, i));
  } catch (...) {
    throw Error("--" + flag + " \"" + value + "\": expected a size like 512m");
  }
  std::string unit = value.substr(i);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  double mult = 1;
  if (unit == "k")
    mult = 1024.0;
  else if (unit == "m")
    mult = 1024.0 * 1024;
  else if (unit == "g")
    mult = 1024.0 * 1024 * 1024;
  else if (unit == "t")
    mult = 1024.0 * 1024 * 1024 * 1024;
  else if (!unit.empty())
    throw Error("--" + flag + " \"" + value + "\": unknown unit \"" + value.substr(i) + "\"");
  return static_cast<int64_t>(n * mult);
}

namespace {

int64_t parse_int(const std::string& flag, const std::string& value) {
  size_t pos = 0;
  int64_t v;
  try {
    v = std::stoll(value, &pos);
  } catch (...) {
    pos = 0;
  }
  if (pos == 0 || pos != value.size()) throw Error("--" + flag + " \"" + value + "\": expected an integer");
  return v;
}

}  // namespace

nlohmann::json update_resources(const UpdateFlags& f) {
  nlohmann::json r = nlohmann::json::object();
  if (!f.resources_file.empty()) {
    std::string text;
    if (f.resources_file == "-")
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    else
      text = read_file(f.resources_file);
    try {
      r = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      throw Error("--resources " + f.resources_file + ": " + e.what());
    }
    if (!r.is_object()) throw Error("--resources " + f.resources_file + ": expected a JSON object");
  }
  auto put = [&](const char* section, const char* key, const nlohmann::json& v) { r[section][key] = v; };
  if (f.memory) put("memory", "limit", parse_byte_size("memory", *f.memory));
  if (f.memory_swap) put("memory", "swap", parse_byte_size("memory-swap", *f.memory_swap));
  if (f.memory_reservation)
    put("memory", "reservation", parse_byte_size("memory-reservation", *f.memory_reservation));
  if (f.cpu_share) put("cpu", "shares", parse_int("cpu-share", *f.cpu_share));
  if (f.cpu_period) put("cpu", "period", parse_int("cpu-period", *f.cpu_period));
  if (f.cpu_quota) put("cpu", "quota", parse_int("cpu-quota", *f.cpu_quota));
  if (f.cpu_burst) put("cpu", "burst", parse_int("cpu-burst", *f.cpu_burst));
  if (f.cpu_rt_period) put("cpu", "realtimePeriod", parse_int("cpu-rt-period", *f.cpu_rt_period));
  if (f.cpu_rt_runtime) put("cpu", "realtimeRuntime", parse_int("cpu-rt-runtime", *f.cpu_rt_runtime));
  if (f.cpu_idle) put("cpu", "idle", parse_int("cpu-idle", *f.cpu_idle));
  if (f.cpuset_cpus) put("cpu", "cpus", *f.cpuset_cpus);
  if (f.cpuset_mems) put("cpu", "mems", *f.cpuset_mems);
  if (f.pids_limit) put("pids", "limit", parse_int("pids-limit", *f.pids_limit));
  if (f.blkio_weight) put("blockIO", "weight", parse_int("blkio-weight", *f.blkio_weight));
  if (r.empty()) throw Error("update: nothing to change (give --resources or a limit flag)");
  return r;
}

int parse_go_duration_ms(const std::string& text) {
  double total_ms = 0;
  size_t i = 0;
  if (text.empty()) throw Error("--interval \"\": expected a duration like 5s");
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (start == i) throw Error("--interval \"" + text + "\": expected a duration like 5s");
    double n = std::stod(text.substr(start, i - start));
    size_t ustart = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = text.substr(ustart, i - ustart);
    if (unit == "ms")
      total_ms += n;
    else if (unit == "s")
      total_ms += n * 1000;
    else if (unit == "m")
      total_ms += n * 60000;
    else if (unit == "h")
      total_ms += n * 3600000;
    else if (unit == "us" || unit == "µs")
      total_ms += n / 1000;
    else
      throw Error("--interval \"" + text + "\": unknown unit \"" + unit + "\"");
  }
  if (total_ms < 1) throw Error("--interval \"" + text + "\": must be at least 1ms");
  return static_cast<int>(total_ms);
}

}  // namespace skiff
