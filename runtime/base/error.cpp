#include "error.hpp"

namespace skiff {

void throw_errno(const std::string& what) { throw Error(errno, what); }

}  // namespace skiff
