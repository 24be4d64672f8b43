// skiff::Error: the one exception type of the project. A std::system_error carrying an errno (or 0 for
// logic/validation errors) and a message with context. Its what() is the reason a user reads.
#pragma once

#include <cerrno>
#include <string>
#include <system_error>

namespace skiff {

class Error : public std::system_error {
 public:
  // A validation or logic error: no errno involved.
  explicit Error(const std::string& what) : std::system_error(0, std::generic_category()), msg_(what) {}
  // A failed syscall: `what` says what was attempted, the errno text is appended (": No such file ...").
  Error(int err, const std::string& what)
      : std::system_error(err, std::generic_category()),
        msg_(err ? what + ": " + std::generic_category().message(err) : what) {}

  // system_error's own what() would append ": Success" for code 0; ours is the one line users read.
  const char* what() const noexcept override { return msg_.c_str(); }
  int err() const noexcept { return code().value(); }

 private:
  std::string msg_;
};

// Throws Error(errno, what). For syscall results that are -1 on failure.
[[noreturn]] void throw_errno(const std::string& what);

// Returns rc, or throws Error(errno, what) if rc < 0.
template <typename T>
T check(T rc, const std::string& what) {
  if (rc < 0) throw_errno(what);
  return rc;
}

}  // namespace skiff
