#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace skiff::image {

namespace {

std::string mb(int64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(b) / 1e6);
  return buf;
}

}  // namespace

PullProgress::PullProgress(bool enabled) : enabled_(enabled) {}

bool PullProgress::stderr_is_tty() {
  return ::isatty(STDERR_FILENO) == 1;
}

void PullProgress::set_layers(const std::vector<int64_t>& sizes, const std::vector<std::string>& names) {
  if (!enabled_) return;
  std::lock_guard g(mu_);
  size_ = sizes;
  name_ = names;
  done_.assign(sizes.size(), 0);
  state_.assign(sizes.size(), "waiting");
  draw(true);
}

void PullProgress::bytes(size_t layer, int64_t done) {
  if (!enabled_) return;
  std::lock_guard g(mu_);
  if (layer >= done_.size()) return;
  done_[layer] = done;
  state_[layer] = "downloading";
  draw(false);
}

void PullProgress::state(size_t layer, const std::string& what) {
  if (!enabled_) return;
  std::lock_guard g(mu_);
  if (layer >= state_.size()) return;
  state_[layer] = what;
  if (what == "done" || what == "exists") done_[layer] = size_[layer];
  draw(true);
}

void PullProgress::draw(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  std::string out;
  // Move back up over what we drew last time.
  for (size_t i = 0; i < drawn_lines_; ++i) out += "\033[1A\033[2K";
  int64_t total = 0, done = 0;
  for (size_t i = 0; i < size_.size(); ++i) {
    total += size_[i];
    done += done_[i];
    out += name_[i].substr(0, 19) + ": " + state_[i] + " " + mb(done_[i]) + " / " + mb(size_[i]) + "\n";
  }
  out += "total: " + mb(done) + " / " + mb(total) + "\n";
  drawn_lines_ = size_.size() + 1;
  (void)!::write(STDERR_FILENO, out.data(), out.size());
}

void PullProgress::finish(const std::string& summary) {
  if (!enabled_) return;
  std::lock_guard g(mu_);
  std::string out;
  for (size_t i = 0; i < drawn_lines_; ++i) out += "\033[1A\033[2K";
  drawn_lines_ = 0;
  out += summary + "\n";
  (void)!::write(STDERR_FILENO, out.data(), out.size());
}

}  // namespace skiff::image
