// Stage 2: one layer tar (gzip, zstd or plain) extracted into an empty directory, as an overlayfs lower
// layer: whiteouts become overlay whiteouts (char 0/0) and opaque markers the opaque xattr.
// The layer is hostile until proven otherwise: every path is resolved inside the destination with
// openat2(RESOLVE_IN_ROOT) from a directory fd, entries with ".." are rejected, symlinks are created but
// never followed out of the layer, hard links may only name files of this layer, and overlay xattrs in
// the tar are dropped (they would change what overlayfs shows).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "decompress.hpp"
#include "digest.hpp"

namespace skiff::image {

struct ExtractOptions {
  // Not root: no chown, no device nodes, user.overlay.* instead of trusted.overlay.* (overlay mounted
  // with userxattr inside a user namespace).
  bool rootless = false;
  // The diffID the image config promises; checked over the whole decompressed stream.
  std::optional<Digest> expected_diff_id;
  Inflater inflater = Inflater::kAuto;
  // Decompress on a second thread while this one writes files.
  bool pipeline = true;
};

struct ExtractResult {
  Digest diff_id;
  uint64_t tar_bytes = 0;
  uint64_t entries = 0;
  std::vector<std::string> notes;  // things skipped on purpose (devices in rootless mode, ...)
};

// Extracts the blob read from `blob_fd` into the existing, empty directory `dest`. `what` names the
// layer in errors. Throws Error on a hostile or corrupt layer or a diffID mismatch; the caller removes
// `dest` then.
ExtractResult extract_layer(int blob_fd, const std::string& dest, const std::string& what,
                            const ExtractOptions& options);

}  // namespace skiff::image
