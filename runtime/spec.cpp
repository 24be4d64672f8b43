// config.json -> spec::Spec. The text is parsed once by nlohmann into a tree and the tree is walked once;
// every field's type is checked as it is read, and every error names the JSON path of the offending value
// ("process.user.uid: expected unsigned integer, got string"). Unknown members are ignored, as the
// runtime-spec requires; JSON null counts as absent, as it does for runc's Go decoder.
#include "spec.hpp"

#include <sched.h>
#include <sys/resource.h>

#include <cstdint>
#include <limits>
#include <string_view>

#include "error.hpp"
#include "file_util.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace skiff::spec {
namespace {

using json = nlohmann::json;

// A JSON path built on the stack as the walk descends; it is only turned into text when an error is
// reported, so a valid config costs no string work for it. Keep each Path alive while its children are
// used: bind intermediate levels to named locals rather than chaining temporaries into a stored Path.
class Path {
 public:
  Path() = default;
  Path operator/(std::string_view key) const { return Path(this, key, kNoIndex); }
  Path operator[](size_t index) const { return Path(this, {}, index); }

  std::string str() const {
    std::string out;
    append_to(out);
    return out;
  }

 private:
  static constexpr size_t kNoIndex = std::numeric_limits<size_t>::max();
  Path(const Path* parent, std::string_view key, size_t index) : parent_(parent), key_(key), index_(index) {}

  static bool plain_key(std::string_view k) {
    if (k.empty()) return false;
    for (char c : k)
      if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
        return false;
    return true;
  }

  void append_to(std::string& out) const {
    if (!parent_) return;
    parent_->append_to(out);
    if (index_ != kNoIndex) {
      out += '[';
      out += std::to_string(index_);
      out += ']';
    } else if (plain_key(key_)) {
      if (!out.empty()) out += '.';
      out += key_;
    } else {
      // Keys such as sysctl names contain dots: quote them so the path stays unambiguous.
      out += "[\"";
      out += key_;
      out += "\"]";
    }
  }

  const Path* parent_ = nullptr;
  std::string_view key_;
  size_t index_ = kNoIndex;
};

const char* type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
      return v.get<int64_t>() < 0 ? "negative integer" : "integer";
    case json::value_t::number_unsigned:
      return "unsigned integer";
    case json::value_t::number_float:
      return "number with a fraction or exponent";
    default:
      return "binary value";
  }
}

// The member `key` of object `obj`, or nullptr when it is absent or null.
const json* member(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

bool is_absolute(const std::string& p) { return !p.empty() && p[0] == '/'; }

std::string in_quotes(const std::string& s) { return "\"" + s + "\""; }

// "MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]" (SemVer 2.0.0) with major 1 and minor 0..2.
bool supported_version(std::string_view v) {
  auto number = [&](uint64_t* out) {
    if (v.empty() || v[0] < '0' || v[0] > '9') return false;
    if (v[0] == '0' && v.size() > 1 && v[1] >= '0' && v[1] <= '9') return false;  // no leading zeros
    uint64_t n = 0;
    size_t i = 0;
    for (; i < v.size() && v[i] >= '0' && v[i] <= '9'; ++i) {
      if (n > 1000000) return false;
      n = n * 10 + static_cast<uint64_t>(v[i] - '0');
    }
    v.remove_prefix(i);
    *out = n;
    return true;
  };
  auto dot = [&] {
    if (v.empty() || v[0] != '.') return false;
    v.remove_prefix(1);
    return true;
  };
  // Dot-separated, non-empty identifiers of [0-9A-Za-z-], up to the next `stop` character.
  auto identifiers = [&](char stop) {
    size_t end = stop ? v.find(stop) : std::string_view::npos;
    std::string_view part = v.substr(0, end);
    v.remove_prefix(part.size());
    if (part.empty()) return false;
    bool empty_ident = true;
    for (char c : part) {
      if (c == '.') {
        if (empty_ident) return false;
        empty_ident = true;
        continue;
      }
      bool ok = c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      if (!ok) return false;
      empty_ident = false;
    }
    return !empty_ident;
  };
  uint64_t major = 0, minor = 0, patch = 0;
  if (!number(&major) || !dot() || !number(&minor) || !dot() || !number(&patch)) return false;
  if (!v.empty() && v[0] == '-') {
    v.remove_prefix(1);
    if (!identifiers('+')) return false;
  }
  if (!v.empty() && v[0] == '+') {
    v.remove_prefix(1);
    if (!identifiers(0)) return false;
  }
  return v.empty() && major == 1 && minor <= 2;
}

// Walks the tree. Every read_* checks the JSON type and range and throws naming the path.
class Reader {
 public:
  explicit Reader(const std::string& origin) : origin_(origin) {}

  [[noreturn]] void fail(const Path& p, const std::string& what) const {
    std::string where = p.str();
    throw Error(origin_ + ": " + (where.empty() ? "" : where + ": ") + what);
  }
  [[noreturn]] void fail(const std::string& what) const { throw Error(origin_ + ": " + what); }

  [[noreturn]] void wrong_type(const json& v, const Path& p, const char* expected) const {
    fail(p, std::string("expected ") + expected + ", got " + type_name(v));
  }

  const json& object(const json& v, const Path& p) const {
    if (!v.is_object()) wrong_type(v, p, "object");
    return v;
  }
  const json& array(const json& v, const Path& p) const {
    if (!v.is_array()) wrong_type(v, p, "array");
    return v;
  }
  const std::string& string(const json& v, const Path& p) const {
    if (!v.is_string()) wrong_type(v, p, "string");
    return v.get_ref<const std::string&>();
  }
  bool boolean(const json& v, const Path& p) const {
    if (!v.is_boolean()) wrong_type(v, p, "boolean");
    return v.get<bool>();
  }
  uint64_t u64(const json& v, const Path& p, uint64_t max = std::numeric_limits<uint64_t>::max()) const {
    if (!v.is_number_unsigned()) wrong_type(v, p, "unsigned integer");
    uint64_t n = v.get<uint64_t>();
    if (n > max) fail(p, std::to_string(n) + " is out of range (0 to " + std::to_string(max) + ")");
    return n;
  }
  uint32_t u32(const json& v, const Path& p) const {
    return static_cast<uint32_t>(u64(v, p, std::numeric_limits<uint32_t>::max()));
  }
  int64_t i64(const json& v, const Path& p, int64_t min = std::numeric_limits<int64_t>::min(),
              int64_t max = std::numeric_limits<int64_t>::max()) const {
    if (!v.is_number_integer()) wrong_type(v, p, "integer");  // nlohmann: integer covers unsigned too
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(max))
      fail(p, std::to_string(v.get<uint64_t>()) + " is out of range (" + std::to_string(min) + " to " +
                  std::to_string(max) + ")");
    int64_t n = v.get<int64_t>();
    if (n < min || n > max)
      fail(p, std::to_string(n) + " is out of range (" + std::to_string(min) + " to " + std::to_string(max) +
                  ")");
    return n;
  }

  std::vector<std::string> strings(const json& v, const Path& p) const {
    array(v, p);
    std::vector<std::string> out;
    out.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) out.push_back(string(v[i], p[i]));
    return out;
  }

  std::map<std::string, std::string> string_map(const json& v, const Path& p) const {
    object(v, p);
    std::map<std::string, std::string> out;
    for (const auto& [k, val] : v.items()) out.emplace(k, string(val, p / k));
    return out;
  }

  std::vector<IdMapping> mappings(const json& v, const Path& p) const {
    array(v, p);
    std::vector<IdMapping> out;
    out.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      Path at = p[i];
      const json& m = object(v[i], at);
      IdMapping id;
      id.container_id = u32(required(m, "containerID", at), at / "containerID");
      id.host_id = u32(required(m, "hostID", at), at / "hostID");
      id.size = u32(required(m, "size", at), at / "size");
      if (id.size == 0) fail(at / "size", "must be greater than 0");
      out.push_back(id);
    }
    return out;
  }

  const json& required(const json& obj, const char* key, const Path& p) const {
    const json* v = member(obj, key);
    if (!v) fail(p / key, "required");
    return *v;
  }

  Spec spec(const json& doc) const;

 private:
  Root root(const json& v, const Path& p) const;
  Mount mount(const json& v, const Path& p) const;
  Process process(const json& v, const Path& p) const;
  User user(const json& v, const Path& p) const;
  std::vector<Rlimit> rlimits(const json& v, const Path& p) const;
  Capabilities capabilities(const json& v, const Path& p) const;
  Hooks hooks(const json& v, const Path& p) const;
  std::vector<Hook> hook_list(const json& v, const Path& p) const;
  Linux linux_section(const json& v, const Path& p) const;
  std::vector<Namespace> namespaces(const json& v, const Path& p) const;
  std::vector<Device> devices(const json& v, const Path& p) const;
  std::map<std::string, TimeOffset> time_offsets(const json& v, const Path& p) const;
  Personality personality(const json& v, const Path& p) const;
  void check_linux(const Spec& s) const;

  const std::string& origin_;
};

Root Reader::root(const json& v, const Path& p) const {
  object(v, p);
  Root r;
  r.path = string(required(v, "path", p), p / "path");
  if (r.path.empty()) fail(p / "path", "must not be empty");
  if (const json* ro = member(v, "readonly")) r.readonly = boolean(*ro, p / "readonly");
  return r;
}

bool mount_type_is_known(const std::string& t) {
  static constexpr std::string_view kTypes[] = {"bind",  "proc",   "sysfs",   "tmpfs",  "devpts",
                                                "mqueue", "cgroup", "cgroup2", "overlay"};
  for (auto k : kTypes)
    if (t == k) return true;
  return false;
}

Mount Reader::mount(const json& v, const Path& p) const {
  object(v, p);
  Mount m;
  m.destination = string(required(v, "destination", p), p / "destination");
  // runtime-spec 1.0 allowed a relative destination (runc resolves it against / with a warning); 1.1
  // requires an absolute one, and so do we: a relative path is almost always a mistake.
  if (!is_absolute(m.destination))
    fail(p / "destination", in_quotes(m.destination) + " is not an absolute path");
  if (const json* t = member(v, "type")) m.type = string(*t, p / "type");
  if (const json* s = member(v, "source")) m.source = string(*s, p / "source");
  if (const json* o = member(v, "options")) m.options = strings(*o, p / "options");
  if (const json* u = member(v, "uidMappings")) m.uid_mappings = mappings(*u, p / "uidMappings");
  if (const json* g = member(v, "gidMappings")) m.gid_mappings = mappings(*g, p / "gidMappings");

  bool bind = false;
  for (const auto& o : m.options) bind = bind || o == "bind" || o == "rbind";
  if (m.type.empty() || m.type == "none") {
    // A bind mount's type is conventionally empty or "none": the options say what it is.
    if (!bind) fail(p, "mount type " + in_quotes(m.type) + " needs the bind or rbind option");
  } else if (!mount_type_is_known(m.type)) {
    fail(p, "unknown mount type " + in_quotes(m.type));
  }
  return m;
}

User Reader::user(const json& v, const Path& p) const {
  object(v, p);
  User u;
  // uid and gid are REQUIRED by the spec, but runc's decoder reads a missing one as 0; so do we.
  if (const json* x = member(v, "uid")) u.uid = u32(*x, p / "uid");
  if (const json* x = member(v, "gid")) u.gid = u32(*x, p / "gid");
  if (const json* x = member(v, "umask")) u.umask = static_cast<uint32_t>(u64(*x, p / "umask", 0777));
  if (const json* x = member(v, "additionalGids")) {
    Path ap = p / "additionalGids";
    array(*x, ap);
    u.additional_gids.reserve(x->size());
    for (size_t i = 0; i < x->size(); ++i) u.additional_gids.push_back(u32((*x)[i], ap[i]));
  }
  if (const json* x = member(v, "username")) u.username = string(*x, p / "username");
  return u;
}

std::vector<Rlimit> Reader::rlimits(const json& v, const Path& p) const {
  array(v, p);
  std::vector<Rlimit> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    Path at = p[i];
    const json& e = object(v[i], at);
    Rlimit r;
    r.type = string(required(e, "type", at), at / "type");
    r.resource = rlimit_from_name(r.type);
    if (r.resource < 0) fail(at / "type", "unknown rlimit type " + in_quotes(r.type));
    for (const auto& prev : out)
      if (prev.resource == r.resource) fail(at / "type", "duplicate rlimit type " + r.type);
    r.soft = u64(required(e, "soft", at), at / "soft");
    r.hard = u64(required(e, "hard", at), at / "hard");
    if (r.soft > r.hard)
      fail(at, r.type + ": soft limit " + std::to_string(r.soft) + " is greater than hard limit " +
                   std::to_string(r.hard));
    out.push_back(std::move(r));
  }
  return out;
}

Capabilities Reader::capabilities(const json& v, const Path& p) const {
  object(v, p);
  Capabilities c;
  if (const json* x = member(v, "bounding")) c.bounding = strings(*x, p / "bounding");
  if (const json* x = member(v, "effective")) c.effective = strings(*x, p / "effective");
  if (const json* x = member(v, "inheritable")) c.inheritable = strings(*x, p / "inheritable");
  if (const json* x = member(v, "permitted")) c.permitted = strings(*x, p / "permitted");
  if (const json* x = member(v, "ambient")) c.ambient = strings(*x, p / "ambient");
  return c;
}

Process Reader::process(const json& v, const Path& p) const {
  object(v, p);
  Process pr;
  if (const json* x = member(v, "terminal")) pr.terminal = boolean(*x, p / "terminal");
  if (const json* x = member(v, "consoleSize")) {
    Path cp = p / "consoleSize";
    object(*x, cp);
    ConsoleSize cs;
    // struct winsize holds 16-bit rows and columns.
    cs.height = static_cast<unsigned>(u64(required(*x, "height", cp), cp / "height", 0xffff));
    cs.width = static_cast<unsigned>(u64(required(*x, "width", cp), cp / "width", 0xffff));
    pr.console_size = cs;
  }
  if (const json* x = member(v, "user")) pr.user = user(*x, p / "user");
  if (const json* x = member(v, "args")) pr.args = strings(*x, p / "args");
  if (const json* x = member(v, "commandLine")) pr.command_line = string(*x, p / "commandLine");
  if (pr.args.empty())
    fail(p / "args", pr.command_line.empty()
                         ? "must not be empty (it names the program to run)"
                         : "must not be empty (process.commandLine is for Windows only)");
  {
    Path ap = p / "args";
    if (pr.args[0].empty()) fail(ap[0], "must not be empty");
    for (size_t i = 0; i < pr.args.size(); ++i)
      if (pr.args[i].find('\0') != std::string::npos) fail(ap[i], "contains a NUL byte");
  }
  if (const json* x = member(v, "env")) {
    Path ep = p / "env";
    pr.env = strings(*x, ep);
    for (size_t i = 0; i < pr.env.size(); ++i) {
      const std::string& e = pr.env[i];
      size_t eq = e.find('=');
      if (eq == std::string::npos || eq == 0) fail(ep[i], in_quotes(e) + " is not of the form KEY=value");
      if (e.find('\0') != std::string::npos) fail(ep[i], "contains a NUL byte");
    }
  }
  {
    // REQUIRED by the spec, and runc refuses a config without it too.
    Path wp = p / "cwd";
    const json* x = member(v, "cwd");
    if (!x) fail(wp, "required");
    pr.cwd = string(*x, wp);
    if (!is_absolute(pr.cwd)) fail(wp, in_quotes(pr.cwd) + " is not an absolute path");
  }
  if (const json* x = member(v, "rlimits")) pr.rlimits = rlimits(*x, p / "rlimits");
  if (const json* x = member(v, "capabilities")) pr.capabilities = capabilities(*x, p / "capabilities");
  if (const json* x = member(v, "noNewPrivileges")) pr.no_new_privileges = boolean(*x, p / "noNewPrivileges");
  if (const json* x = member(v, "apparmorProfile")) pr.apparmor_profile = string(*x, p / "apparmorProfile");
  if (const json* x = member(v, "selinuxLabel")) pr.selinux_label = string(*x, p / "selinuxLabel");
  // The kernel's range for /proc/<pid>/oom_score_adj.
  if (const json* x = member(v, "oomScoreAdj")) pr.oom_score_adj = static_cast<int>(i64(*x, p / "oomScoreAdj", -1000, 1000));
  if (const json* x = member(v, "scheduler")) pr.scheduler = object(*x, p / "scheduler");
  if (const json* x = member(v, "ioPriority")) pr.io_priority = object(*x, p / "ioPriority");
  return pr;
}

std::vector<Hook> Reader::hook_list(const json& v, const Path& p) const {
  array(v, p);
  std::vector<Hook> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    Path at = p[i];
    const json& e = object(v[i], at);
    Hook h;
    h.path = string(required(e, "path", at), at / "path");
    if (!is_absolute(h.path)) fail(at / "path", in_quotes(h.path) + " is not an absolute path");
    if (const json* x = member(e, "args")) h.args = strings(*x, at / "args");
    if (const json* x = member(e, "env")) h.env = strings(*x, at / "env");
    if (const json* x = member(e, "timeout")) {
      int64_t t = i64(*x, at / "timeout", std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
      if (t <= 0) fail(at / "timeout", "must be greater than 0 (got " + std::to_string(t) + ")");
      h.timeout = static_cast<int>(t);
    }
    out.push_back(std::move(h));
  }
  return out;
}

Hooks Reader::hooks(const json& v, const Path& p) const {
  object(v, p);
  Hooks h;
  struct Phase {
    const char* name;
    std::vector<Hook> Hooks::*list;
  };
  static constexpr Phase kPhases[] = {{"prestart", &Hooks::prestart},
                                      {"createRuntime", &Hooks::create_runtime},
                                      {"createContainer", &Hooks::create_container},
                                      {"startContainer", &Hooks::start_container},
                                      {"poststart", &Hooks::poststart},
                                      {"poststop", &Hooks::poststop}};
  for (const auto& ph : kPhases)
    if (const json* x = member(v, ph.name)) h.*ph.list = hook_list(*x, p / ph.name);
  return h;
}

std::vector<Namespace> Reader::namespaces(const json& v, const Path& p) const {
  array(v, p);
  std::vector<Namespace> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    Path at = p[i];
    const json& e = object(v[i], at);
    Namespace ns;
    ns.type = string(required(e, "type", at), at / "type");
    ns.clone_flag = namespace_flag_from_type(ns.type);
    if (!ns.clone_flag) fail(at / "type", "unknown namespace type " + in_quotes(ns.type));
    for (const auto& prev : out)
      if (prev.clone_flag == ns.clone_flag) fail(at / "type", "duplicate namespace type " + in_quotes(ns.type));
    if (const json* x = member(e, "path")) {
      ns.path = string(*x, at / "path");
      if (!ns.path.empty() && !is_absolute(ns.path))
        fail(at / "path", in_quotes(ns.path) + " is not an absolute path");
    }
    out.push_back(std::move(ns));
  }
  return out;
}

std::vector<Device> Reader::devices(const json& v, const Path& p) const {
  array(v, p);
  std::vector<Device> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    Path at = p[i];
    const json& e = object(v[i], at);
    Device d;
    d.type = string(required(e, "type", at), at / "type");
    if (d.type != "c" && d.type != "b" && d.type != "u" && d.type != "p")
      fail(at / "type", "unknown device type " + in_quotes(d.type) + " (expected c, b, u or p)");
    d.path = string(required(e, "path", at), at / "path");
    if (!is_absolute(d.path)) fail(at / "path", in_quotes(d.path) + " is not an absolute path");
    // The kernel's dev_t holds a 12-bit major and a 20-bit minor.
    if (d.type != "p") {
      d.major = i64(required(e, "major", at), at / "major", 0, 0xfff);
      d.minor = i64(required(e, "minor", at), at / "minor", 0, 0xfffff);
    } else {
      if (const json* x = member(e, "major")) d.major = i64(*x, at / "major", 0, 0xfff);
      if (const json* x = member(e, "minor")) d.minor = i64(*x, at / "minor", 0, 0xfffff);
    }
    if (const json* x = member(e, "fileMode")) d.file_mode = u32(*x, at / "fileMode");
    if (const json* x = member(e, "uid")) d.uid = u32(*x, at / "uid");
    if (const json* x = member(e, "gid")) d.gid = u32(*x, at / "gid");
    out.push_back(std::move(d));
  }
  return out;
}

std::map<std::string, TimeOffset> Reader::time_offsets(const json& v, const Path& p) const {
  object(v, p);
  std::map<std::string, TimeOffset> out;
  for (const auto& [clock, val] : v.items()) {
    Path at = p / clock;
    // The only clocks a time namespace offsets (time_namespaces(7)).
    if (clock != "monotonic" && clock != "boottime")
      fail(at, "unknown clock " + in_quotes(clock) + " (expected monotonic or boottime)");
    object(val, at);
    TimeOffset t;
    if (const json* x = member(val, "secs")) t.secs = i64(*x, at / "secs");
    if (const json* x = member(val, "nanosecs")) t.nanosecs = static_cast<uint32_t>(u64(*x, at / "nanosecs", 999999999));
    out.emplace(clock, t);
  }
  return out;
}

Personality Reader::personality(const json& v, const Path& p) const {
  object(v, p);
  Personality pe;
  pe.domain = string(required(v, "domain", p), p / "domain");
  if (pe.domain != "LINUX" && pe.domain != "LINUX32")
    fail(p / "domain", "unknown personality domain " + in_quotes(pe.domain) + " (expected LINUX or LINUX32)");
  if (const json* x = member(v, "flags")) {
    Path fp = p / "flags";
    pe.flags = strings(*x, fp);
    // runtime-spec: "Currently no flag values are supported." runc ignores them with a warning; a flag
    // that silently does nothing is worse than a clear error.
    if (!pe.flags.empty()) fail(fp[0], "unknown personality flag " + in_quotes(pe.flags[0]) + " (none are supported)");
  }
  return pe;
}

bool propagation_is_known(const std::string& s) {
  static constexpr std::string_view kNames[] = {"shared",  "slave",   "private",  "unbindable",
                                                "rshared", "rslave", "rprivate", "runbindable"};
  for (auto n : kNames)
    if (s == n) return true;
  return false;
}

Linux Reader::linux_section(const json& v, const Path& p) const {
  object(v, p);
  Linux l;
  if (const json* x = member(v, "namespaces")) l.namespaces = namespaces(*x, p / "namespaces");
  if (const json* x = member(v, "uidMappings")) l.uid_mappings = mappings(*x, p / "uidMappings");
  if (const json* x = member(v, "gidMappings")) l.gid_mappings = mappings(*x, p / "gidMappings");
  if (const json* x = member(v, "timeOffsets")) l.time_offsets = time_offsets(*x, p / "timeOffsets");
  if (const json* x = member(v, "sysctl")) l.sysctl = string_map(*x, p / "sysctl");
  if (const json* x = member(v, "devices")) l.devices = devices(*x, p / "devices");
  if (const json* x = member(v, "cgroupsPath")) l.cgroups_path = string(*x, p / "cgroupsPath");
  if (const json* x = member(v, "rootfsPropagation")) {
    l.rootfs_propagation = string(*x, p / "rootfsPropagation");
    if (!l.rootfs_propagation.empty() && !propagation_is_known(l.rootfs_propagation))
      fail(p / "rootfsPropagation", "unknown propagation " + in_quotes(l.rootfs_propagation));
  }
  auto absolute_paths = [&](const char* key, std::vector<std::string>* out) {
    const json* x = member(v, key);
    if (!x) return;
    Path lp = p / key;
    *out = strings(*x, lp);
    for (size_t i = 0; i < out->size(); ++i)
      if (!is_absolute((*out)[i])) fail(lp[i], in_quotes((*out)[i]) + " is not an absolute path");
  };
  absolute_paths("maskedPaths", &l.masked_paths);
  absolute_paths("readonlyPaths", &l.readonly_paths);
  if (const json* x = member(v, "mountLabel")) l.mount_label = string(*x, p / "mountLabel");
  if (const json* x = member(v, "personality")) l.personality = personality(*x, p / "personality");
  if (const json* x = member(v, "resources")) l.resources = object(*x, p / "resources");
  if (const json* x = member(v, "seccomp")) l.seccomp = object(*x, p / "seccomp");
  if (const json* x = member(v, "intelRdt")) {
    l.intel_rdt = *x;
    fail(p / "intelRdt", "not supported (this runtime has no Intel RDT support)");
  }
  return l;
}

// Checks that span sections: what a namespace entry implies for mappings, offsets and names.
void Reader::check_linux(const Spec& s) const {
  const Namespace* user = s.find_namespace("user");
  const Namespace* time = s.find_namespace("time");
  if (s.linux) {
    const Linux& l = *s.linux;
    if (!user && (!l.uid_mappings.empty() || !l.gid_mappings.empty()))
      fail(l.uid_mappings.empty() ? "linux.gidMappings: set, but linux.namespaces has no user namespace"
                                  : "linux.uidMappings: set, but linux.namespaces has no user namespace");
    if (user && user->path.empty()) {
      // As runc: a new user namespace without mappings would leave every id unmapped.
      if (l.uid_mappings.empty()) fail("linux.uidMappings: required with a new user namespace");
      if (l.gid_mappings.empty()) fail("linux.gidMappings: required with a new user namespace");
    }
    if (!l.time_offsets.empty()) {
      if (!time) fail("linux.timeOffsets: set, but linux.namespaces has no time namespace");
      if (!time->path.empty())
        fail("linux.timeOffsets: set, but the time namespace is joined by path (its offsets are fixed)");
    }
  }
  // runc's wording: the hostname of a shared UTS namespace is the host's.
  bool uts = s.find_namespace("uts") != nullptr;
  if (!s.hostname.empty() && !uts) fail("unable to set hostname without a private UTS namespace");
  if (!s.domainname.empty() && !uts) fail("unable to set domainname without a private UTS namespace");
}

Spec Reader::spec(const json& doc) const {
  Path top;
  if (!doc.is_object()) fail(std::string("expected a JSON object at the top level, got ") + type_name(doc));
  Spec s;
  const json* version = member(doc, "ociVersion");
  if (!version) fail("ociVersion: required");
  s.oci_version = string(*version, top / "ociVersion");
  if (!supported_version(s.oci_version))
    fail("unsupported ociVersion " + in_quotes(s.oci_version) + " (supported: 1.0.0 to 1.2.x)");

  const json* root_v = member(doc, "root");
  if (!root_v) fail("root.path: required");
  s.root = root(*root_v, top / "root");

  if (const json* x = member(doc, "mounts")) {
    Path mp = top / "mounts";
    array(*x, mp);
    s.mounts.reserve(x->size());
    for (size_t i = 0; i < x->size(); ++i) s.mounts.push_back(mount((*x)[i], mp[i]));
  }
  if (const json* x = member(doc, "process")) s.process = process(*x, top / "process");
  if (const json* x = member(doc, "hostname")) s.hostname = string(*x, top / "hostname");
  if (const json* x = member(doc, "domainname")) s.domainname = string(*x, top / "domainname");
  if (const json* x = member(doc, "hooks")) s.hooks = hooks(*x, top / "hooks");
  if (const json* x = member(doc, "annotations")) {
    Path ap = top / "annotations";
    s.annotations = string_map(*x, ap);
    if (s.annotations.count("")) fail(ap, "a key must not be empty");
  }
  if (const json* x = member(doc, "linux")) s.linux = linux_section(*x, top / "linux");
  check_linux(s);
  return s;
}

// "config.json:3:14: <reason>" from nlohmann's byte offset (1-based, the byte where parsing stopped).
[[noreturn]] void syntax_error(const std::string& text, const std::string& origin, const json::parse_error& e) {
  size_t pos = e.byte == 0 ? 0 : e.byte - 1;
  if (pos > text.size()) pos = text.size();
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < pos; ++i)
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  size_t column = pos - line_start + 1;
  // nlohmann's message is "[json.exception.parse_error.101] parse error at line L, column C: <reason>";
  // keep only the reason, the position is ours.
  std::string msg = e.what();
  size_t at = msg.find("parse error");
  size_t colon = at == std::string::npos ? std::string::npos : msg.find(": ", at);
  std::string reason = colon == std::string::npos ? msg : msg.substr(colon + 2);
  if (text.empty()) reason = "empty file";
  throw Error(origin + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + reason);
}

}  // namespace

const Namespace* Spec::find_namespace(const std::string& type) const {
  if (!linux) return nullptr;
  for (const auto& ns : linux->namespaces)
    if (ns.type == type) return &ns;
  return nullptr;
}

Spec parse_spec(const std::string& text, const std::string& origin) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    syntax_error(text, origin, e);
  }
  return Reader(origin).spec(doc);
}

Spec load_spec(const std::string& bundle_dir) {
  // read_file's error already reads "open <path>: <errno text>".
  return parse_spec(read_file(bundle_dir + "/config.json"), "config.json");
}

int rlimit_from_name(const std::string& name) {
  struct Entry {
    std::string_view name;
    int resource;
  };
  static constexpr Entry kLimits[] = {
      {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_STACK", RLIMIT_STACK},
      {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
  };
  for (const auto& e : kLimits)
    if (name == e.name) return e.resource;
  return -1;
}

int namespace_flag_from_type(const std::string& type) {
  struct Entry {
    std::string_view type;
    int flag;
  };
  static constexpr Entry kTypes[] = {{"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
                                     {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},     {"user", CLONE_NEWUSER},
                                     {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME}};
  for (const auto& e : kTypes)
    if (type == e.type) return e.flag;
  return 0;
}

}  // namespace skiff::spec
