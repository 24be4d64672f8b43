// Label selectors as Kubernetes evaluates them, from either of its two spellings: the string syntax of
// `?labelSelector=` and `kubectl -l` ("app=web,tier!=db,env in (a,b),!canary,gpu"), and the JSON of a
// `spec.selector` (`matchLabels` + `matchExpressions`). Both produce the same LabelSelector, so a
// Deployment's selector and a client's query are matched by one piece of code (the manifest code
// converts its typed selectors through from_json). Pure and thread-compatible: a const LabelSelector
// may be used from any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::store {

class LabelSelector {
 public:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist, kGreaterThan, kLessThan };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;  // sorted; one for kEquals/kNotEquals/kGreaterThan/kLessThan
  };

  // The empty selector: matches every object.
  LabelSelector() = default;
  // A selector that matches nothing (Kubernetes' meaning of a null spec.selector).
  static LabelSelector nothing();

  // Parses the string syntax. Throws skiff::Error naming the offending part on bad input, e.g.
  // `invalid label selector "app in (a": missing ")"`.
  static LabelSelector parse(std::string_view text);
  // From {"matchLabels":{...},"matchExpressions":[{"key","operator","values"}]}. An empty object
  // matches everything; JSON null matches nothing. Throws skiff::Error on bad input.
  static LabelSelector from_json(const nlohmann::json& selector);

  // `labels` is an object of string values (metadata.labels) or null/absent (no labels).
  bool matches(const nlohmann::json& labels) const;
  bool empty() const { return !nothing_ && reqs_.empty(); }
  const std::vector<Requirement>& requirements() const { return reqs_; }
  // The canonical string form (requirements sorted by key), parseable again; "" when empty.
  std::string to_string() const;

 private:
  void add(Requirement r);
  std::vector<Requirement> reqs_;
  bool nothing_ = false;
};

// Kubernetes' label key rule: an optional DNS-subdomain prefix and '/', then a name of at most 63
// characters (alphanumerics, '-', '_', '.', starting and ending alphanumeric). Empty string when valid,
// else the reason.
std::string label_key_problem(std::string_view key);
// A label value: empty, or up to 63 characters of the same alphabet as a key's name.
std::string label_value_problem(std::string_view value);

}  // namespace skiff::store
