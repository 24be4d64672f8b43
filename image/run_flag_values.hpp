// The value-bearing flags of `skiff run`, read as Docker reads them: --memory sizes (64m, 1g),
// --cpus (0.5 -> a CFS quota over a 100 ms period), --pids-limit, and --env-file files. Each throws
// Error naming the flag and the value on bad input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace skiff::image {

struct ResourceFlags {
  std::optional<std::string> memory;      // --memory: bytes with an optional k/m/g/t unit (binary)
  std::optional<std::string> cpus;        // --cpus: a decimal number of CPUs
  std::optional<std::string> pids_limit;  // --pids-limit: a count; 0 or -1 is unlimited
};

// The CFS period Docker uses for --cpus (100 ms, in microseconds).
constexpr int64_t kCpuPeriodUs = 100000;

// linux.resources for the flags given (an empty object when none is).
nlohmann::json resources_from_flags(const ResourceFlags& f);

// "64m", "1g", "512k", "100" -> bytes, binary units as Docker reads them (b k m g t p, optionally
// followed by "b" or "ib"). `flag` names the flag in errors.
int64_t parse_size(const std::string& flag, const std::string& text);

// --cpus text -> CFS quota in microseconds per kCpuPeriodUs. `online_cpus` bounds it, as Docker does.
int64_t cpus_to_quota(const std::string& text, unsigned online_cpus);

// The KEY=VALUE entries of an env file: blank lines and lines starting with '#' skipped, leading
// whitespace dropped, values kept verbatim (no quotes processing); a bare KEY takes our own value and is
// left out when we have none. `path` names the file in errors (with the line number).
std::vector<std::string> parse_env_file(const std::string& text, const std::string& path);
std::vector<std::string> read_env_file(const std::string& path);

}  // namespace skiff::image
