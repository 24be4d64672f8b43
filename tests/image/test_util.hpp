// Helpers for image tests: a temp dir owned by the test, running commands, finding tools.
#pragma once

#include <string>
#include <vector>

namespace skiff::image::test {

// A fresh directory under $TMPDIR, removed (recursively) when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// Full path of `tool` in $PATH (or /usr/sbin, /sbin), or "".
std::string find_tool(const std::string& tool);
// Runs a shell command; returns its exit status (-1 if it could not run). Output goes to *out if given.
int run(const std::string& cmd, std::string* out = nullptr);
void write_text(const std::string& path, const std::string& text, unsigned mode = 0644);
// The names in a directory (not "." and ".."), sorted; empty if it cannot be read.
std::vector<std::string> list_dir(const std::string& dir);

}  // namespace skiff::image::test
