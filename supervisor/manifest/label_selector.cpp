#include "manifest/label_selector.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "error.hpp"
#include "manifest/names.hpp"

namespace skiff::manifest {
namespace {

// Kubernetes' rules (names.hpp), first message only: one line per error.
std::string label_key_problem(std::string_view key) {
  Messages m = is_qualified_name(key);
  return m.empty() ? std::string() : m.front();
}
std::string label_value_problem(std::string_view value) {
  Messages m = is_label_value(value);
  return m.empty() ? std::string() : m.front();
}

bool parse_int(std::string_view s, long long& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Selector::Requirement requirement() {
    skip_ws();
    Selector::Requirement r;
    if (peek() == '!') {
      ++i_;
      r.key = key();
      r.op = Selector::Op::kDoesNotExist;
      return r;
    }
    r.key = key();
    skip_ws();
    if (at_end() || peek() == ',') {
      r.op = Selector::Op::kExists;
      return r;
    }
    if (take("==") || take("=")) {
      r.op = Selector::Op::kEquals;
      r.values.push_back(value());
    } else if (take("!=")) {
      r.op = Selector::Op::kNotEquals;
      r.values.push_back(value());
    } else if (take(">") || take("<")) {
      r.op = s_[i_ - 1] == '>' ? Selector::Op::kGreaterThan : Selector::Op::kLessThan;
      r.values.push_back(value());
      long long n;
      if (!parse_int(r.values[0], n)) fail("\"" + r.values[0] + "\" is not an integer");
    } else if (take_word("notin")) {
      r.op = Selector::Op::kNotIn;
      r.values = set();
    } else if (take_word("in")) {
      r.op = Selector::Op::kIn;
      r.values = set();
    } else {
      fail("expected an operator after \"" + r.key + "\"");
    }
    return r;
  }

  // After a requirement: true if another follows (a ',' was eaten), false at the end.
  bool next() {
    skip_ws();
    if (at_end()) return false;
    if (peek() != ',') fail("expected ',' at position " + std::to_string(i_));
    ++i_;
    return true;
  }

  [[noreturn]] void fail(const std::string& why) const {
    throw Error("invalid label selector \"" + std::string(s_) + "\": " + why);
  }

 private:
  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[i_]; }
  void skip_ws() {
    while (!at_end() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool take(std::string_view tok) {
    if (s_.substr(i_, tok.size()) != tok) return false;
    i_ += tok.size();
    return true;
  }
  // An operator word must be followed by space or '(' ("input" is a key, not "in" + "put").
  bool take_word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    size_t j = i_ + w.size();
    if (j < s_.size() && !std::isspace(static_cast<unsigned char>(s_[j])) && s_[j] != '(') return false;
    i_ = j;
    return true;
  }
  std::string token() {
    size_t start = i_;
    while (!at_end()) {
      char c = s_[i_];
      if (std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == '=' || c == '!' || c == '(' ||
          c == ')' || c == '<' || c == '>')
        break;
      ++i_;
    }
    return std::string(s_.substr(start, i_ - start));
  }
  std::string key() {
    skip_ws();
    std::string k = token();
    if (k.empty()) fail("expected a label key at position " + std::to_string(i_));
    if (auto p = label_key_problem(k); !p.empty()) fail("key \"" + k + "\": " + p);
    return k;
  }
  std::string value() {
    skip_ws();
    std::string v = token();
    if (auto p = label_value_problem(v); !p.empty()) fail("value \"" + v + "\": " + p);
    return v;
  }
  std::vector<std::string> set() {
    skip_ws();
    if (!take("(")) fail("expected '(' after a set operator");
    std::vector<std::string> vals;
    for (;;) {
      vals.push_back(value());
      skip_ws();
      if (take(")")) break;
      if (!take(",")) fail(at_end() ? "missing \")\"" : "expected ',' or ')' in a value set");
    }
    return vals;
  }

  std::string_view s_;
  size_t i_ = 0;
};

const char* op_text(Selector::Op op) {
  switch (op) {
    case Selector::Op::kEquals:
      return "=";
    case Selector::Op::kNotEquals:
      return "!=";
    case Selector::Op::kIn:
      return " in ";
    case Selector::Op::kNotIn:
      return " notin ";
    case Selector::Op::kGreaterThan:
      return ">";
    case Selector::Op::kLessThan:
      return "<";
    default:
      return "";
  }
}

// `v`: the label's value, or null when the object has no such label.
bool requirement_matches(const Selector::Requirement& r, const std::string* v) {
  auto in_values = [&] { return std::binary_search(r.values.begin(), r.values.end(), *v); };
  switch (r.op) {
    case Selector::Op::kExists:
      return v;
    case Selector::Op::kDoesNotExist:
      return !v;
    case Selector::Op::kEquals:
    case Selector::Op::kIn:
      return v && in_values();
    case Selector::Op::kNotEquals:
    case Selector::Op::kNotIn:
      return !v || !in_values();  // Kubernetes: an absent label satisfies != and notin
    case Selector::Op::kGreaterThan:
    case Selector::Op::kLessThan: {
      long long have, want;
      if (!v || !parse_int(*v, have) || !parse_int(r.values[0], want)) return false;
      return r.op == Selector::Op::kGreaterThan ? have > want : have < want;
    }
  }
  return false;
}

}  // namespace

Selector Selector::nothing() {
  Selector s;
  s.nothing_ = true;
  return s;
}

void Selector::add(Requirement r) {
  std::sort(r.values.begin(), r.values.end());
  r.values.erase(std::unique(r.values.begin(), r.values.end()), r.values.end());
  auto pos = std::upper_bound(reqs_.begin(), reqs_.end(), r.key,
                              [](const std::string& k, const Requirement& q) { return k < q.key; });
  reqs_.insert(pos, std::move(r));
}

Selector Selector::parse(std::string_view text) {
  Selector sel;
  Parser p(text);
  bool blank = std::all_of(text.begin(), text.end(),
                           [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  if (blank) return sel;
  do {
    sel.add(p.requirement());
  } while (p.next());
  return sel;
}

Selector Selector::from_json(const nlohmann::json& j) {
  if (j.is_null()) return nothing();
  if (!j.is_object())
    throw Error("invalid label selector: expected an object with matchLabels/matchExpressions");
  Selector sel;
  for (auto& [k, v] : j.items()) {
    if (k != "matchLabels" && k != "matchExpressions")
      throw Error("invalid label selector: unknown field \"" + k + "\"");
  }
  if (auto ml = j.find("matchLabels"); ml != j.end() && !ml->is_null()) {
    if (!ml->is_object()) throw Error("invalid label selector: matchLabels must be an object");
    for (auto& [k, v] : ml->items()) {
      if (!v.is_string()) throw Error("invalid label selector: matchLabels." + k + " must be a string");
      if (auto p = label_key_problem(k); !p.empty())
        throw Error("invalid label selector: matchLabels key \"" + k + "\": " + p);
      if (auto p = label_value_problem(v.get<std::string>()); !p.empty())
        throw Error("invalid label selector: matchLabels." + k + ": " + p);
      sel.add({k, Op::kEquals, {v.get<std::string>()}});
    }
  }
  if (auto me = j.find("matchExpressions"); me != j.end() && !me->is_null()) {
    if (!me->is_array()) throw Error("invalid label selector: matchExpressions must be a list");
    for (size_t i = 0; i < me->size(); ++i) {
      const auto& e = (*me)[i];
      std::string where = "invalid label selector: matchExpressions[" + std::to_string(i) + "]";
      if (!e.is_object() || !e.contains("key") || !e["key"].is_string() || !e.contains("operator") ||
          !e["operator"].is_string())
        throw Error(where + ": needs a key and an operator");
      Requirement r{e["key"].get<std::string>(), Op::kExists, {}};
      if (auto p = label_key_problem(r.key); !p.empty()) throw Error(where + ".key: " + p);
      std::string op = e["operator"].get<std::string>();
      if (auto vs = e.find("values"); vs != e.end() && !vs->is_null()) {
        if (!vs->is_array()) throw Error(where + ".values must be a list");
        for (auto& v : *vs) {
          if (!v.is_string()) throw Error(where + ".values must be strings");
          if (auto p = label_value_problem(v.get<std::string>()); !p.empty())
            throw Error(where + ".values: " + p);
          r.values.push_back(v.get<std::string>());
        }
      }
      if (op == "In" || op == "NotIn") {
        if (r.values.empty()) throw Error(where + ": values must be non-empty for " + op);
        r.op = op == "In" ? Op::kIn : Op::kNotIn;
      } else if (op == "Exists" || op == "DoesNotExist") {
        if (!r.values.empty()) throw Error(where + ": values must be empty for " + op);
        r.op = op == "Exists" ? Op::kExists : Op::kDoesNotExist;
      } else {
        throw Error(where + ".operator: \"" + op + "\" is not one of In, NotIn, Exists, DoesNotExist");
      }
      sel.add(std::move(r));
    }
  }
  return sel;
}

bool Selector::matches(const nlohmann::json& labels) const {
  if (nothing_) return false;
  for (const auto& r : reqs_) {
    const std::string* v = nullptr;
    if (labels.is_object()) {
      auto it = labels.find(r.key);
      if (it != labels.end() && it->is_string()) v = &it->get_ref<const std::string&>();
    }
    if (!requirement_matches(r, v)) return false;
  }
  return true;
}

bool Selector::matches(const LabelMap& labels) const {
  if (nothing_) return false;
  for (const auto& r : reqs_) {
    auto it = labels.find(r.key);
    if (!requirement_matches(r, it == labels.end() ? nullptr : &it->second)) return false;
  }
  return true;
}

Selector Selector::of(const LabelSelector& typed) {
  Selector sel;
  for (const auto& [k, v] : typed.match_labels) sel.add({k, Op::kEquals, {v}});
  for (const LabelSelectorRequirement& r : typed.match_expressions) {
    Op op;
    if (r.op == "In")
      op = Op::kIn;
    else if (r.op == "NotIn")
      op = Op::kNotIn;
    else if (r.op == "Exists")
      op = Op::kExists;
    else if (r.op == "DoesNotExist")
      op = Op::kDoesNotExist;
    else
      return nothing();  // as LabelSelectorAsSelector's error: validation reports it, nothing matches
    sel.add({r.key, op, r.values});
  }
  return sel;
}

bool node_selector_matches(const LabelMap& node_selector, const LabelMap& node_labels) {
  for (const auto& [k, v] : node_selector) {
    auto it = node_labels.find(k);
    if (it == node_labels.end() || it->second != v) return false;
  }
  return true;
}

std::string Selector::to_string() const {
  std::string out;
  for (const auto& r : reqs_) {
    if (!out.empty()) out += ',';
    if (r.op == Op::kExists) {
      out += r.key;
    } else if (r.op == Op::kDoesNotExist) {
      out += "!" + r.key;
    } else if (r.op == Op::kIn || r.op == Op::kNotIn) {
      out += r.key + op_text(r.op) + "(";
      for (size_t i = 0; i < r.values.size(); ++i) out += (i ? "," : "") + r.values[i];
      out += ")";
    } else {
      out += r.key + op_text(r.op) + r.values[0];
    }
  }
  return out;
}

}  // namespace skiff::manifest
