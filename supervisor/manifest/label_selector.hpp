// Label selectors. Two spellings, one meaning: the typed metav1.LabelSelector of a spec.selector
// (matchLabels + matchExpressions In/NotIn/Exists/DoesNotExist) and the string syntax of `-l` and
// `?labelSelector=` ("app=web,tier!=db,env in (a,b),!canary,gpu,n>3"). Both compile to one Selector,
// which does every match (typed objects' label maps and the store's JSON alike) and prints the
// canonical string form (labels.Selector.String(): sorted by key). Also nodeSelector evaluation.
// Pure and thread-compatible: a const Selector may be used from any thread.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::manifest {

using LabelMap = std::map<std::string, std::string>;

struct LabelSelectorRequirement {
  std::string key;
  std::string op;  // In, NotIn, Exists, DoesNotExist
  std::vector<std::string> values;
  friend bool operator==(const LabelSelectorRequirement&, const LabelSelectorRequirement&) = default;
};

struct LabelSelector {
  LabelMap match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
  bool empty() const { return match_labels.empty() && match_expressions.empty(); }
  friend bool operator==(const LabelSelector&, const LabelSelector&) = default;
};

class Selector {
 public:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist, kGreaterThan, kLessThan };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;  // sorted; one for kEquals/kNotEquals/kGreaterThan/kLessThan
  };

  // The empty selector: matches every object.
  Selector() = default;
  // A selector that matches nothing (Kubernetes' meaning of a null spec.selector).
  static Selector nothing();

  // The compiled form of a typed spec.selector; one with an unknown operator matches nothing
  // (validation reports the operator).
  static Selector of(const LabelSelector& typed);
  // Parses the string syntax. Throws skiff::Error naming the offending part on bad input, e.g.
  // `invalid label selector "app in (a": missing ")"`.
  static Selector parse(std::string_view text);
  // From {"matchLabels":{...},"matchExpressions":[{"key","operator","values"}]}. An empty object
  // matches everything; JSON null matches nothing. Throws skiff::Error on bad input.
  static Selector from_json(const nlohmann::json& selector);

  // `labels` is an object of string values (metadata.labels) or null/absent (no labels).
  bool matches(const nlohmann::json& labels) const;
  bool matches(const LabelMap& labels) const;
  bool empty() const { return !nothing_ && reqs_.empty(); }
  const std::vector<Requirement>& requirements() const { return reqs_; }
  // The canonical string form (requirements sorted by key), parseable again; "" when empty.
  std::string to_string() const;

 private:
  void add(Requirement r);
  std::vector<Requirement> reqs_;
  bool nothing_ = false;
};

// Shorthands for a typed selector. An empty selector matches everything (LabelSelectorAsSelector);
// callers that treat a missing selector as matching nothing check for that themselves.
inline bool selector_matches(const LabelSelector& sel, const LabelMap& labels) {
  return Selector::of(sel).matches(labels);
}
inline std::string selector_string(const LabelSelector& sel) {
  return Selector::of(sel).to_string();
}
// nodeSelector: every entry present in the node's labels with an equal value.
bool node_selector_matches(const LabelMap& node_selector, const LabelMap& node_labels);

}  // namespace skiff::manifest
