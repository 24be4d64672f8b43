// StoreError: a skiff::Error with the Kubernetes reason it maps to, so the API answers with the Status
// an API server would (`pods "web" not found`, reason NotFound, code 404) and in-process callers can
// tell a conflict (retry after a fresh read) from a failure.
#pragma once

#include <string>

#include "error.hpp"

namespace skiff::store {

enum class Reason {
  kNotFound,       // 404
  kAlreadyExists,  // 409
  kConflict,       // 409: resourceVersion precondition failed
  kInvalid,        // 422: the object itself is wrong
  kBadRequest,     // 400
  kGone,           // 410: a watch from a resourceVersion older than the history kept
  kInternal,       // 500: the disk failed (ENOSPC, EIO); nothing was changed
};

class StoreError : public Error {
 public:
  StoreError(Reason reason, const std::string& what, int err = 0) : Error(err, what), reason_(reason) {}
  Reason reason() const noexcept { return reason_; }

 private:
  Reason reason_;
};

// Kubernetes' name of a reason ("NotFound") and its HTTP code.
const char* reason_name(Reason r);
int reason_code(Reason r);

}  // namespace skiff::store
