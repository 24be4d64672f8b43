#include "run_flag_values.hpp"

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "error.hpp"
#include "file_util.hpp"

namespace skiff::image {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

int64_t parse_pids_limit(const std::string& text) {
  size_t pos = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &pos);
  } catch (...) {
    pos = 0;
  }
  if (pos == 0 || pos != text.size() || v < -1)
    throw Error("--pids-limit \"" + text + "\": expected a number of processes (0 or -1: unlimited)");
  return v;
}

}  // namespace

int64_t parse_size(const std::string& flag, const std::string& text) {
  auto bad = [&](const std::string& why) { return Error("--" + flag + " \"" + text + "\": " + why); };
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  double n = 0;
  size_t used = 0;
  try {
    n = std::stod(text.substr(0, i), &used);
  } catch (...) {
    used = 0;
  }
  if (i == 0 || used != i) throw bad("expected a size like 64m or 1g");
  std::string unit = text.substr(i);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Docker's RAMInBytes: binary units, an optional "b" or "ib" after the letter.
  if (unit.size() == 3 && unit.substr(1) == "ib") unit.resize(1);
  if (unit.size() == 2 && unit[1] == 'b') unit.resize(1);
  static const std::string letters = "bkmgtp";
  size_t power = unit.empty() ? 0 : letters.find(unit);
  if (unit.size() > 1 || power == std::string::npos) throw bad("unknown unit \"" + text.substr(i) + "\"");
  double bytes = n * std::pow(1024.0, static_cast<double>(power));
  if (bytes >= 9.2e18) throw bad("too large");
  return static_cast<int64_t>(bytes);
}

int64_t cpus_to_quota(const std::string& text, unsigned online_cpus) {
  size_t pos = 0;
  double v = 0;
  try {
    v = std::stod(text, &pos);
  } catch (...) {
    pos = 0;
  }
  if (pos == 0 || pos != text.size() || !std::isfinite(v) || v <= 0)
    throw Error("--cpus \"" + text + "\": expected a positive number of CPUs like 0.5");
  // Docker keeps nano-CPUs; a quota under 1 ms is below what the kernel accepts.
  auto quota = static_cast<int64_t>(std::llround(v * static_cast<double>(kCpuPeriodUs)));
  if (quota < 1000) throw Error("--cpus \"" + text + "\": the smallest is 0.01");
  if (online_cpus > 0 && v > online_cpus)
    throw Error("--cpus \"" + text + "\": this machine has " + std::to_string(online_cpus) + " CPUs");
  return quota;
}

nlohmann::json resources_from_flags(const ResourceFlags& f) {
  nlohmann::json r = nlohmann::json::object();
  if (f.memory) {
    int64_t bytes = parse_size("memory", *f.memory);
    // Docker's floor: below a few MiB the container's runtime itself cannot start.
    if (bytes < 6 * 1024 * 1024)
      throw Error("--memory \"" + *f.memory + "\": the smallest memory limit is 6m");
    r["memory"]["limit"] = bytes;
  }
  if (f.cpus) {
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    r["cpu"]["quota"] = cpus_to_quota(*f.cpus, n > 0 ? static_cast<unsigned>(n) : 0);
    r["cpu"]["period"] = kCpuPeriodUs;
  }
  if (f.pids_limit) {
    int64_t n = parse_pids_limit(*f.pids_limit);
    if (n > 0) r["pids"]["limit"] = n;
  }
  return r;
}

std::vector<std::string> parse_env_file(const std::string& text, const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(text);
  int lineno = 0;
  for (std::string line; std::getline(in, line);) {
    ++lineno;
    size_t start = 0;
    while (start < line.size() && is_space(line[start])) ++start;
    line.erase(0, start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    std::string key = line.substr(0, eq);
    auto where = [&] { return path + ":" + std::to_string(lineno); };
    if (key.empty()) throw Error("--env-file " + where() + ": no variable name before '='");
    for (char c : key)
      if (is_space(c) || c == '\0')
        throw Error("--env-file " + where() + ": variable name \"" + key + "\" contains whitespace");
    if (eq != std::string::npos) {
      out.push_back(line);
    } else if (const char* v = std::getenv(key.c_str())) {
      out.push_back(key + "=" + v);
    }
  }
  return out;
}

std::vector<std::string> read_env_file(const std::string& path) {
  return parse_env_file(read_file(path), path);
}

}  // namespace skiff::image
