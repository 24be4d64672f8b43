#include "cli_args.hpp"

namespace skiff {
namespace {

// "-pid-file", "-pid-file=x", "--pid-file=x" -> the flag name; "" if not a long-flag token.
std::string flag_name(const std::string& a) {
  if (a.size() < 2 || a[0] != '-') return "";
  size_t start = a[1] == '-' ? 2 : 1;
  std::string name =
      a.substr(start, a.find('=') == std::string::npos ? std::string::npos : a.find('=') - start);
  return name;
}

}  // namespace

std::vector<std::string> normalize_runtime_args(const std::vector<std::string>& in, const FlagTable& global,
                                                const FlagTable& cmd) {
  std::vector<std::string> out;
  if (in.empty()) return out;
  out.push_back(in[0]);
  std::string command;
  bool seen_positional_after_command = false;
  for (size_t i = 1; i < in.size(); ++i) {
    const std::string& a = in[i];
    if (a == "--") {
      for (; i < in.size(); ++i) out.push_back(in[i]);
      break;
    }
    const FlagTable& t = command.empty() ? global : cmd;
    std::string name = flag_name(a);
    bool known = !name.empty() && (t.with_value.count(name) || t.boolean.count(name));
    if (known) {
      // Single-dash Go style to double-dash; short forms ("-t", "-d") are single letters and stay.
      std::string fixed = (a[1] != '-' && name.size() > 1) ? "-" + a : a;
      out.push_back(fixed);
      if (t.with_value.count(name) && a.find('=') == std::string::npos && i + 1 < in.size())
        out.push_back(in[++i]);
      continue;
    }
    if (!a.empty() && a[0] == '-' && a.size() > 1) {
      out.push_back(a);  // unknown: CLI11 will say so
      continue;
    }
    // A positional.
    out.push_back(a);
    if (command.empty()) {
      command = a;
      continue;
    }
    if (command == "exec" && !seen_positional_after_command) {
      seen_positional_after_command = true;
      // Everything after the container ID is the command to run, flags included.
      if (i + 1 < in.size()) {
        out.push_back("--");
        for (++i; i < in.size(); ++i) out.push_back(in[i]);
      }
      break;
    }
  }
  return out;
}

}  // namespace skiff
