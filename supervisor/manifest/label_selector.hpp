// metav1.LabelSelector: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist), evaluated as
// labels.Selector does, printed in its string form (`app=web,tier in (a,b),!canary`), and the string form
// parsed back (for `-l`). Also nodeSelector evaluation.
#pragma once

#include <map>
#include <optional>
#include <string>
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

// An empty selector matches everything (LabelSelectorAsSelector); callers that treat a missing selector
// as matching nothing check for that themselves.
bool selector_matches(const LabelSelector& sel, const LabelMap& labels);
// labels.Selector.String(): requirements sorted by key, values sorted.
std::string selector_string(const LabelSelector& sel);
// The string form back into a selector (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`).
// `a!=b` becomes NotIn. nullopt and a message on a syntax error.
std::optional<LabelSelector> parse_selector(const std::string& text, std::string* error = nullptr);
// nodeSelector: every entry present in the node's labels with an equal value.
bool node_selector_matches(const LabelMap& node_selector, const LabelMap& node_labels);

}  // namespace skiff::manifest
