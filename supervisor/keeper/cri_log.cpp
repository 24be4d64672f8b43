#include "keeper/cri_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "file_util.hpp"
#include "log.hpp"

namespace skiff::keeper {

const char* stream_name(Stream s) {
  return s == Stream::kStdout ? "stdout" : "stderr";
}

int64_t realtime_ns() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string cri_timestamp(int64_t unix_ns) {
  int64_t sec = unix_ns / 1000000000, nsec = unix_ns % 1000000000;
  if (nsec < 0) {
    nsec += 1000000000;
    --sec;
  }
  std::string s = log::rfc3339(static_cast<long>(sec), static_cast<long>(nsec));  // ".123456789Z"
  // Go's RFC3339Nano ("05.999999999") drops trailing zeros, and the dot with them.
  size_t z = s.size() - 1;
  size_t end = z;
  while (s[end - 1] == '0') --end;
  if (s[end - 1] == '.') --end;
  s.erase(end, z - end);
  return s;
}

void CriLineSplitter::feed(std::string_view data, const Emit& emit) {
  while (!data.empty()) {
    size_t nl = data.find('\n');
    std::string_view seg = data.substr(0, nl);
    pending_.append(seg.data(), seg.size());
    // Longer than a line may be: cut off whole max_line chunks as partial lines (containerd cuts when
    // the line so far exceeds the limit, so a line of exactly max_line stays whole). A '\r' at the end
    // may still turn out to be half of "\r\n": keep it back.
    while (pending_.size() > max_line_ + (pending_.back() == '\r' ? 1 : 0)) {
      emit(true, std::string_view(pending_).substr(0, max_line_));
      pending_.erase(0, max_line_);
    }
    if (nl == std::string_view::npos) return;
    if (!pending_.empty() && pending_.back() == '\r') pending_.pop_back();
    emit(false, pending_);
    pending_.clear();
    data.remove_prefix(nl + 1);
  }
}

void CriLineSplitter::finish(const Emit& emit) {
  if (pending_.empty()) return;
  emit(true, pending_);
  pending_.clear();
}

std::string rotated_path(const std::string& path, unsigned n) {
  return n == 0 ? path : path + "." + std::to_string(n);
}

namespace {
UniqueFd open_log(const std::string& path, uint64_t* size) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!fd) throw_errno("open log " + path);
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) throw_errno("stat log " + path);
  *size = static_cast<uint64_t>(st.st_size);
  return fd;
}
}  // namespace

CriLogWriter::CriLogWriter(std::string path, CriLogLimits limits) : path_(std::move(path)), limits_(limits) {
  if (limits_.max_files == 0) limits_.max_files = 1;
  size_t slash = path_.rfind('/');
  if (slash != std::string::npos && slash > 0) mkdir_all(path_.substr(0, slash));
  fd_ = open_log(path_, &size_);
}

void CriLogWriter::rotate() {
  // Oldest first, so every rename lands on a name that is free or is the one to drop.
  for (unsigned n = limits_.max_files - 1; n >= 1; --n) {
    std::string from = rotated_path(path_, n - 1);
    if (::rename(from.c_str(), rotated_path(path_, n).c_str()) < 0 && errno != ENOENT)
      log::warn("rotate " + from + ": " + std::string(strerror(errno)));
  }
  if (limits_.max_files == 1 && ::ftruncate(fd_.get(), 0) == 0) {
    size_ = 0;
    return;
  }
  try {
    fd_ = open_log(path_, &size_);
  } catch (const Error& e) {
    log::warn(e.what());  // fd_ still names the rotated file: lines go there rather than nowhere
  }
}

void CriLogWriter::write_line(int64_t unix_ns, Stream stream, bool partial, std::string_view text) {
  line_ = cri_timestamp(unix_ns);
  line_ += ' ';
  line_ += stream_name(stream);
  line_ += partial ? " P " : " F ";
  line_.append(text.data(), text.size());
  line_ += '\n';
  if (size_ > 0 && size_ + line_.size() > limits_.max_size) rotate();
  if (try_write_all(fd_.get(), line_.data(), line_.size())) {
    size_ += line_.size();
  } else {
    ++dropped_;
  }
}

}  // namespace skiff::keeper
