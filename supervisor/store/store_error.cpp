#include "store/store_error.hpp"

namespace skiff::store {

const char* reason_name(Reason r) {
  switch (r) {
    case Reason::kNotFound:
      return "NotFound";
    case Reason::kAlreadyExists:
      return "AlreadyExists";
    case Reason::kConflict:
      return "Conflict";
    case Reason::kInvalid:
      return "Invalid";
    case Reason::kBadRequest:
      return "BadRequest";
    case Reason::kGone:
      return "Expired";
    case Reason::kInternal:
      return "InternalError";
  }
  return "InternalError";
}

int reason_code(Reason r) {
  switch (r) {
    case Reason::kNotFound:
      return 404;
    case Reason::kAlreadyExists:
    case Reason::kConflict:
      return 409;
    case Reason::kInvalid:
      return 422;
    case Reason::kBadRequest:
      return 400;
    case Reason::kGone:
      return 410;
    case Reason::kInternal:
      return 500;
  }
  return 500;
}

}  // namespace skiff::store
