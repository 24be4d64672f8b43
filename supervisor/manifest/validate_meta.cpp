// ObjectMeta, labels, annotations and label selectors (apimachinery's ValidateObjectMeta and
// metav1validation).
#include "manifest/field_table.hpp"
#include "manifest/validation.hpp"

namespace skiff::manifest {

void report_invalid(Diagnostics& d, const FieldPath& p, const nlohmann::json& value, const Messages& msgs) {
  for (const std::string& m : msgs) d.invalid(p, value, m);
}

void validate_non_negative(Diagnostics& d, const FieldPath& p, int64_t v) {
  if (v < 0) d.invalid(p, v, "must be greater than or equal to 0");
}

namespace {

Messages name_messages(NameRule rule, std::string_view v) {
  switch (rule) {
    case NameRule::dns1123_label:
      return is_dns1123_label(v);
    case NameRule::dns1035_label:
      return is_dns1035_label(v);
    case NameRule::dns1123_subdomain:
      break;
  }
  return is_dns1123_subdomain(v);
}

}  // namespace

void validate_labels(const LabelMap& labels, const FieldPath& p, Diagnostics& d) {
  for (const auto& [k, v] : labels) {
    report_invalid(d, p.key(k), k, is_qualified_name(k));
    report_invalid(d, p.key(k), v, is_label_value(v));
  }
}

void validate_annotations(const LabelMap& annotations, const FieldPath& p, Diagnostics& d,
                          std::string_view kind) {
  constexpr size_t kTotalLimit = 256 * 1024;
  size_t total = 0;
  for (const auto& [k, v] : annotations) {
    std::string lower;
    for (char c : k) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    report_invalid(d, p.key(k), k, is_qualified_name(lower));
    total += k.size() + v.size();
    std::string_view ignored = ignored_annotation_message(kind, k);
    if (!ignored.empty()) d.warning(p.key(k), std::string(ignored));
  }
  if (total > kTotalLimit) d.too_long(p, kTotalLimit);
}

void validate_object_meta(const ObjectMeta& m, const FieldPath& p, Diagnostics& d, NameRule rule,
                          std::string_view kind, bool namespaced) {
  if (m.name.empty() && m.generate_name.empty()) {
    d.required(p.child("name"), "name or generateName is required");
  } else if (!m.name.empty()) {
    report_invalid(d, p.child("name"), m.name, name_messages(rule, m.name));
  } else {
    // generateName gets a suffix: only its shape (without the length of the suffix) is checked
    std::string probe = m.generate_name;
    if (!probe.empty() && probe.back() == '-') probe += "x";
    report_invalid(d, p.child("generateName"), m.generate_name, name_messages(rule, probe));
  }
  if (namespaced) report_invalid(d, p.child("namespace"), m.namespace_, is_dns1123_label(m.namespace_));
  validate_non_negative(d, p.child("generation"), m.generation);
  validate_labels(m.labels, p.child("labels"), d);
  validate_annotations(m.annotations, p.child("annotations"), d, kind);
  for (size_t i = 0; i < m.owner_references.size(); ++i) {
    const OwnerReference& o = m.owner_references[i];
    FieldPath op = p.child("ownerReferences").index(i);
    if (o.api_version.empty()) d.invalid(op.child("apiVersion"), o.api_version, "version must not be empty");
    if (o.kind.empty()) d.invalid(op.child("kind"), o.kind, "kind must not be empty");
    if (o.name.empty()) d.invalid(op.child("name"), o.name, "name must not be empty");
    if (o.uid.empty()) d.invalid(op.child("uid"), o.uid, "uid must not be empty");
  }
  int controllers = 0;
  for (const OwnerReference& o : m.owner_references) controllers += o.controller.value_or(false);
  if (controllers > 1)
    d.invalid(p.child("ownerReferences"), controllers, "Only one reference can have Controller set to true");
}

void validate_label_selector(const LabelSelector& s, const FieldPath& p, Diagnostics& d) {
  for (size_t i = 0; i < s.match_expressions.size(); ++i) {
    const LabelSelectorRequirement& r = s.match_expressions[i];
    FieldPath rp = p.child("matchExpressions").index(i);
    if (r.op == "In" || r.op == "NotIn") {
      if (r.values.empty())
        d.required(rp.child("values"), "must be specified when `operator` is 'In' or 'NotIn'");
    } else if (r.op == "Exists" || r.op == "DoesNotExist") {
      if (!r.values.empty())
        d.forbidden(rp.child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    } else {
      d.invalid(rp.child("operator"), r.op, "not a valid selector operator");
    }
    report_invalid(d, rp.child("key"), r.key, is_qualified_name(r.key));
    for (size_t k = 0; k < r.values.size(); ++k)
      report_invalid(d, rp.child("values").index(k), r.values[k], is_label_value(r.values[k]));
  }
  validate_labels(s.match_labels, p.child("matchLabels"), d);
}

}  // namespace skiff::manifest
