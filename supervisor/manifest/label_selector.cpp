#include "manifest/label_selector.hpp"

#include <algorithm>
#include <cctype>

namespace skiff::manifest {

bool selector_matches(const LabelSelector& sel, const LabelMap& labels) {
  for (const auto& [k, v] : sel.match_labels) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  for (const LabelSelectorRequirement& r : sel.match_expressions) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    bool in = has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    if (r.op == "In" && !in) return false;
    if (r.op == "NotIn" && in) return false;
    if (r.op == "Exists" && !has) return false;
    if (r.op == "DoesNotExist" && has) return false;
    if (r.op != "In" && r.op != "NotIn" && r.op != "Exists" && r.op != "DoesNotExist") return false;
  }
  return true;
}

std::string selector_string(const LabelSelector& sel) {
  std::vector<std::pair<std::string, std::string>> terms;  // (key, text) for a stable sort by key
  for (const auto& [k, v] : sel.match_labels) terms.emplace_back(k, k + "=" + v);
  for (const LabelSelectorRequirement& r : sel.match_expressions) {
    std::vector<std::string> vals = r.values;
    std::sort(vals.begin(), vals.end());
    vals.erase(std::unique(vals.begin(), vals.end()), vals.end());
    std::string list;
    for (const std::string& v : vals) list += (list.empty() ? "" : ",") + v;
    if (r.op == "In")
      terms.emplace_back(r.key, r.key + " in (" + list + ")");
    else if (r.op == "NotIn")
      terms.emplace_back(r.key, r.key + " notin (" + list + ")");
    else if (r.op == "Exists")
      terms.emplace_back(r.key, r.key);
    else
      terms.emplace_back(r.key, "!" + r.key);
  }
  std::stable_sort(terms.begin(), terms.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::string out;
  for (auto& t : terms) out += (out.empty() ? "" : ",") + t.second;
  return out;
}

namespace {

class SelectorParser {
 public:
  explicit SelectorParser(const std::string& s) : s_(s) {}

  std::optional<LabelSelector> run(std::string* error) {
    LabelSelector sel;
    skip_ws();
    if (i_ == s_.size()) return sel;
    while (true) {
      if (!term(sel)) {
        if (error) *error = "unable to parse requirement: " + why_;
        return std::nullopt;
      }
      skip_ws();
      if (i_ == s_.size()) return sel;
      if (s_[i_] != ',') {
        if (error) *error = "unable to parse requirement: expected ',' at position " + std::to_string(i_);
        return std::nullopt;
      }
      ++i_;
    }
  }

 private:
  void skip_ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  std::string word() {
    skip_ws();
    size_t start = i_;
    while (i_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[i_])) &&
           std::string_view("=!,()").find(s_[i_]) == std::string_view::npos)
      ++i_;
    return s_.substr(start, i_ - start);
  }
  bool fail(std::string why) {
    why_ = std::move(why);
    return false;
  }
  bool term(LabelSelector& sel) {
    skip_ws();
    bool negated = i_ < s_.size() && s_[i_] == '!';
    if (negated) ++i_;
    std::string key = word();
    if (key.empty()) return fail("missing key at position " + std::to_string(i_));
    skip_ws();
    if (negated) {
      sel.match_expressions.push_back({key, "DoesNotExist", {}});
      return true;
    }
    if (i_ == s_.size() || s_[i_] == ',') {
      sel.match_expressions.push_back({key, "Exists", {}});
      return true;
    }
    if (s_.compare(i_, 2, "!=") == 0) {
      i_ += 2;
      sel.match_expressions.push_back({key, "NotIn", {word()}});
      return true;
    }
    if (s_[i_] == '=') {
      i_ += s_.compare(i_, 2, "==") == 0 ? 2 : 1;
      sel.match_labels[key] = word();
      return true;
    }
    std::string op = word();
    if (op != "in" && op != "notin") return fail("unknown operator " + op);
    skip_ws();
    if (i_ == s_.size() || s_[i_] != '(') return fail("expected '(' after " + op);
    ++i_;
    std::vector<std::string> values;
    while (true) {
      std::string v = word();
      skip_ws();
      if (i_ == s_.size()) return fail("missing ')'");
      values.push_back(v);
      if (s_[i_] == ')') break;
      if (s_[i_] != ',') return fail("expected ',' or ')' in the value list");
      ++i_;
    }
    ++i_;
    sel.match_expressions.push_back({key, op == "in" ? "In" : "NotIn", values});
    return true;
  }
  const std::string& s_;
  size_t i_ = 0;
  std::string why_;
};

}  // namespace

std::optional<LabelSelector> parse_selector(const std::string& text, std::string* error) {
  return SelectorParser(text).run(error);
}

bool node_selector_matches(const LabelMap& node_selector, const LabelMap& node_labels) {
  for (const auto& [k, v] : node_selector) {
    auto it = node_labels.find(k);
    if (it == node_labels.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace skiff::manifest
