// Manifest text (multi-document YAML, or JSON) -> JSON documents plus where each node was. Bounded: the
// input's size, each document's expanded size and node count (aliases that expand past them are refused,
// as billion-laughs documents are) and the nesting depth all have caps.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifest/diagnostics.hpp"

namespace skiff::manifest {

struct SourceLimits {
  size_t max_input_bytes = 16u << 20;
  size_t max_document_bytes = 3u << 20;  // the API server's request limit
  size_t max_document_nodes = 100'000;
  int max_depth = 128;
};

struct SourceDocument {
  nlohmann::json value;  // never null: empty documents are left out
  PositionMap positions;
  size_t index = 0;  // position among the input's documents, from 0
  SourcePos start;
};

// Reads every document; problems go to `diags` (one error per bad document, with line and column). On
// any error the documents read so far are still returned: the caller decides (parse_manifests gives
// none back).
std::vector<SourceDocument> read_documents(std::string_view text, Diagnostics& diags,
                                           const SourceLimits& limits = {});

}  // namespace skiff::manifest
