#include "keeper/cri_log_reader.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "error.hpp"
#include "file_util.hpp"
#include "log.hpp"

namespace skiff::keeper {
namespace {

bool digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// A line never legitimately grows past a CRI line plus its header: beyond this an unfinished line is
// taken as it is (a corrupt file must not make the reader hold it all).
constexpr size_t kMaxLineBytes = kMaxCriLineSize + 256;

ino_t inode_of(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) return 0;
  return st.st_ino;
}

}  // namespace

std::optional<int64_t> parse_rfc3339(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, &y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, &mo) || s[7] != '-' ||
      !digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, &h) || s[13] != ':' ||
      !digits(s, 14, 2, &mi) || s[16] != ':' || !digits(s, 17, 2, &sec))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  size_t pos = 19;
  int64_t nsec = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 9) nsec = nsec * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (; n < 9; ++n) nsec *= 10;
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, &om))
      return std::nullopt;
    offset = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  struct tm tm = {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  int64_t t = static_cast<int64_t>(::timegm(&tm)) - offset;
  return t * 1000000000 + nsec;
}

bool parse_cri_line(std::string_view line, CriMessage* out, std::string* why) {
  auto fail = [&](const char* w) {
    if (why) *why = w;
    return false;
  };
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return fail("no timestamp");
  auto ts = parse_rfc3339(line.substr(0, sp1));
  if (!ts) return fail("bad timestamp");
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return fail("no stream");
  std::string_view stream = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (stream == "stdout")
    out->stream = Stream::kStdout;
  else if (stream == "stderr")
    out->stream = Stream::kStderr;
  else
    return fail("unknown stream");
  size_t sp3 = line.find(' ', sp2 + 1);
  std::string_view tags =
      line.substr(sp2 + 1, sp3 == std::string_view::npos ? std::string_view::npos : sp3 - sp2 - 1);
  // Tags are ':'-separated for forward compatibility; the first is F or P.
  std::string_view tag = tags.substr(0, tags.find(':'));
  if (tag == "F")
    out->partial = false;
  else if (tag == "P")
    out->partial = true;
  else
    return fail("unknown tag");
  out->unix_ns = *ts;
  out->text = sp3 == std::string_view::npos ? std::string_view() : line.substr(sp3 + 1);
  return true;
}

void format_cri_message(const CriMessage& m, bool timestamps, std::string* out) {
  if (timestamps) {
    int64_t sec = m.unix_ns / 1000000000, nsec = m.unix_ns % 1000000000;
    if (nsec < 0) {
      nsec += 1000000000;
      --sec;
    }
    *out += log::rfc3339(static_cast<long>(sec), static_cast<long>(nsec));
    *out += ' ';
  }
  out->append(m.text.data(), m.text.size());
  if (!m.partial) *out += '\n';
}

CriLogReader::CriLogReader(std::string path, CriReadOptions opts) : path_(std::move(path)), opts_(opts) {
  if (opts_.max_files == 0) opts_.max_files = 1;
  int oldest = 0;
  if (opts_.include_rotated)
    for (unsigned n = 1; n < opts_.max_files && inode_of(rotated_path(path_, n)) != 0; ++n) oldest = n;
  if (oldest == 0 && inode_of(path_) == 0) throw Error(ENOENT, "open log " + path_);

  int start_index = oldest;
  off_t start_offset = 0;
  if (opts_.tail) {
    // Back from the end, newest file first, until the tail's lines are found: the start is just after
    // the (N+1)-th newline from the end (the very last byte's newline ends the last line).
    uint64_t wanted = *opts_.tail;
    bool found = false;
    std::vector<char> block(64 * 1024);
    bool newest = true;
    for (int i = 0; i <= oldest && !found; ++i) {
      UniqueFd fd(::open(rotated_path(path_, i).c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) continue;
      struct stat st;
      if (::fstat(fd.get(), &st) < 0) continue;
      off_t end = st.st_size;
      if (newest) {
        newest = false;
        if (wanted == 0) {
          start_index = i;
          start_offset = end;
          found = true;
          break;
        }
        char last;
        if (end > 0 && ::pread(fd.get(), &last, 1, end - 1) == 1 && last == '\n') --end;
      }
      uint64_t seen = 0;
      while (end > 0 && !found) {
        off_t from = end > off_t(block.size()) ? end - off_t(block.size()) : 0;
        ssize_t n = ::pread(fd.get(), block.data(), size_t(end - from), from);
        if (n <= 0) break;
        for (ssize_t k = n - 1; k >= 0; --k) {
          if (block[size_t(k)] != '\n') continue;
          if (++seen == wanted) {
            start_index = i;
            start_offset = from + k + 1;
            found = true;
            break;
          }
        }
        end = from;
      }
      // Not enough here: go on in the older file, whose last newline ends the line before this file's
      // first; with no older file the start is the oldest file's first byte.
      wanted -= seen;
    }
  }
  file_index_ = start_index;
  fd_.reset(::open(rotated_path(path_, file_index_).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd_) throw_errno("open log " + rotated_path(path_, file_index_));
  struct stat st;
  if (::fstat(fd_.get(), &st) == 0) ino_ = st.st_ino;
  if (start_offset > 0) ::lseek(fd_.get(), start_offset, SEEK_SET);
}

void CriLogReader::emit_line(std::string_view line, const Sink& sink, size_t* count) {
  CriMessage m;
  if (!parse_cri_line(line, &m)) {
    ++malformed_;
    return;
  }
  if (m.stream == Stream::kStdout && !opts_.stdout_lines) return;
  if (m.stream == Stream::kStderr && !opts_.stderr_lines) return;
  if (opts_.since_ns != 0 && m.unix_ns < opts_.since_ns) return;
  std::string out;
  format_cri_message(m, opts_.timestamps, &out);
  sink(out);
  ++*count;
}

bool CriLogReader::open_next() {
  // Where is the file we have read to its end now? Rotation may have renumbered it.
  int at = -1;
  for (unsigned n = 0; n < opts_.max_files; ++n) {
    ino_t ino = inode_of(rotated_path(path_, n));
    if (ino != 0 && ino == ino_) {
      at = int(n);
      break;
    }
  }
  int next;
  if (at == 0) return false;  // the current file: nothing newer
  if (at > 0) {
    next = at - 1;
  } else {
    // Dropped as the oldest: everything that exists is newer; start with the oldest of it.
    next = 0;
    for (unsigned n = 1; n < opts_.max_files && inode_of(rotated_path(path_, n)) != 0; ++n) next = int(n);
  }
  UniqueFd fd(::open(rotated_path(path_, next).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;  // mid-rotation: try again on the next call
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return false;
  fd_ = std::move(fd);
  ino_ = st.st_ino;
  file_index_ = next;
  return true;
}

size_t CriLogReader::read_available(const Sink& sink) {
  size_t count = 0;
  char chunk[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd_.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read log " + rotated_path(path_, file_index_));
    if (n == 0) {
      // The end of this file. An unfinished line at the end of a file that is done (rotated) is all
      // there will be of it.
      std::string leftover = buf_;
      if (!open_next()) return count;
      if (!leftover.empty()) emit_line(leftover, sink, &count);
      buf_.clear();
      continue;
    }
    std::string_view data(chunk, size_t(n));
    while (!data.empty()) {
      size_t nl = data.find('\n');
      if (nl == std::string_view::npos) {
        buf_.append(data.data(), data.size());
        if (buf_.size() > kMaxLineBytes) {
          emit_line(buf_, sink, &count);
          buf_.clear();
        }
        break;
      }
      if (buf_.empty()) {
        emit_line(data.substr(0, nl), sink, &count);
      } else {
        buf_.append(data.data(), nl);
        emit_line(buf_, sink, &count);
        buf_.clear();
      }
      data.remove_prefix(nl + 1);
    }
  }
}

int CriLogReader::notify_fd() {
  if (!inotify_) {
    inotify_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!inotify_) throw_errno("inotify_init1");
    size_t slash = path_.rfind('/');
    std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
    if (::inotify_add_watch(inotify_.get(), dir.c_str(),
                            IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
      throw_errno("inotify_add_watch " + dir);
  }
  return inotify_.get();
}

void CriLogReader::drain_notify() {
  if (!inotify_) return;
  char buf[4096];
  while (::read(inotify_.get(), buf, sizeof buf) > 0) {
  }
}

void copy_cri_log(const std::string& path, const CriReadOptions& opts, int out_fd, bool follow,
                  const std::function<bool()>& keep_following) {
  CriLogReader reader(path, opts);
  auto sink = [&](std::string_view s) { write_all(out_fd, s, "write logs"); };
  if (follow) reader.notify_fd();
  reader.read_available(sink);
  while (follow && (!keep_following || keep_following())) {
    struct pollfd p = {reader.notify_fd(), POLLIN, 0};
    // The timeout bounds how late keep_following() is asked; the change itself wakes us at once.
    ::poll(&p, 1, 200);
    reader.drain_notify();
    reader.read_available(sink);
  }
  reader.read_available(sink);
}

}  // namespace skiff::keeper
