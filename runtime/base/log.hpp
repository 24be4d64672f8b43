// The runtime's log: errors as one line on stderr ("skiff-runtime: <action> <id>: <reason>"), and, when
// --log is given, every message as a line in that file (text, or JSON as runc writes it:
// {"level":"error","msg":"...","time":"RFC3339"}), which containerd's shim reads back on failure.
#pragma once

#include <string>
#include <string_view>

namespace skiff::log {

enum class Level { debug, info, warning, error };
enum class Format { text, json };

// Configures the log. An empty path means stderr only. Opening the file fails loudly.
void init(const std::string& path, Format format, bool debug);
// The name stderr lines start with ("skiff-runtime" unless a program says otherwise).
void set_program(std::string_view name);

void write(Level level, std::string_view msg);
inline void debug(std::string_view m) {
  write(Level::debug, m);
}
inline void info(std::string_view m) {
  write(Level::info, m);
}
inline void warn(std::string_view m) {
  write(Level::warning, m);
}

// Reports the error a command ends with: the one stderr line, plus the log file line.
void fatal(std::string_view program, std::string_view action, std::string_view id, std::string_view reason);

// RFC3339 with nanoseconds, UTC ("2026-11-22T07:41:19.123456789Z").
std::string rfc3339_now();
std::string rfc3339(long sec, long nsec);

}  // namespace skiff::log
