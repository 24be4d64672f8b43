// The table of fields that skiff does not simply support, in one place. Every field a record's field list
// names is supported; beyond those, a Kubernetes field is either accepted with a warning (it means nothing
// on one host: the warning says what it means here) or refused as not supported, naming its path. Any
// other key is an unknown field, an error as with kubectl's strict field validation.
#pragma once

#include <string_view>

namespace skiff::manifest {

enum class FieldDisposition { warn, unsupported };

struct FieldRule {
  std::string_view type;   // the record, as Kubernetes names its Go type ("PodSpec", "Container", ...)
  std::string_view field;  // the JSON key
  FieldDisposition disposition;
  std::string_view message;  // the diagnostic's text after the path
};

// The rule for `field` of `type`, or nullptr (an unknown field).
const FieldRule* find_field_rule(std::string_view type, std::string_view field);

// An annotation skiff recognises as meaning nothing on one host (a cloud load balancer's setting, ...):
// the warning text, or empty. `kind` is the object's kind.
std::string_view ignored_annotation_message(std::string_view kind, std::string_view key);

}  // namespace skiff::manifest
