// The manifest front door: text (multi-document YAML, JSON, `kind: List`) -> typed objects with
// Kubernetes' defaults filled and its validation passed, every problem one line
// `FILE:LINE:COL: PATH: message`; and objects -> the JSON an API server returns (which from_json reads
// back losslessly, for the store).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifest/diagnostics.hpp"
#include "manifest/object.hpp"
#include "manifest/yaml_source.hpp"

namespace skiff::manifest {

struct ParsedObject {
  Object object;
  SourcePos pos;        // where its document (or List item) starts
  size_t document = 0;  // which document of the input, from 0
};

struct ParseOptions {
  std::string file;  // named in every diagnostic ("-" for stdin)
  SourceLimits limits;
};

struct ParseResult {
  // All or nothing: empty whenever `errors` is not.
  std::vector<ParsedObject> objects;
  std::vector<Diagnostic> warnings;
  std::vector<Diagnostic> errors;
  bool ok() const { return errors.empty(); }
  std::string error_text() const;  // every error, one per line
};

// Reads, defaults and validates every object of the input. `status` in the input is dropped, as the API
// server drops it on create.
ParseResult parse_manifests(std::string_view text, const ParseOptions& options = {});

// The JSON an API server returns for the object: apiVersion, kind, metadata, spec (defaults filled) and
// status; keys sorted, as kubectl prints them.
nlohmann::json to_json(const Object& object);
// Reads to_json's output back (what the store persists). Throws skiff::Error naming the field on input
// that to_json could not have written.
Object object_from_json(const nlohmann::json& json);

// Fills Kubernetes' defaults (SetDefaults_* of core/v1, apps/v1, autoscaling/v2) in place; idempotent.
void apply_defaults(Object& object);
// Kubernetes' validation for what skiff supports; errors and warnings go to `diags`.
void validate(const Object& object, Diagnostics& diags);
// What an update of `old_object` to `object` may not change (selectors, immutable data, a Pod's spec
// beyond its images, ...), with Kubernetes' messages. Both are already defaulted and validated.
void validate_update(const Object& old_object, const Object& object, Diagnostics& diags);

}  // namespace skiff::manifest
