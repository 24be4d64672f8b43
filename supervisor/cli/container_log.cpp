#include "container_log.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "error.hpp"
#include "file_util.hpp"

namespace skiff::cli {

namespace {

constexpr const char* kLog = "container.log";
constexpr const char* kLock = "log.lock";

std::string rotated(unsigned n) {
  return std::string(kLog) + "." + std::to_string(n);
}

int open_log(int dir_fd) {
  return ::openat(dir_fd, kLog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
}

// container.log.(n-1) -> .n, ..., container.log -> .1; the oldest falls off.
void rotate(int dir_fd, unsigned max_files) {
  if (max_files <= 1) {
    ::unlinkat(dir_fd, kLog, 0);
    return;
  }
  for (unsigned n = max_files - 1; n > 1; --n)
    ::renameat(dir_fd, rotated(n - 1).c_str(), dir_fd, rotated(n).c_str());
  ::renameat(dir_fd, kLog, dir_fd, rotated(1).c_str());
}

// Appends to container.log, rotating it at the size limit. Output that cannot be written (disk full)
// is dropped rather than blocking the container.
class RotatingLog {
 public:
  RotatingLog(int dir_fd, const LogLimits& limits)
      : dir_fd_(dir_fd), limits_(limits), log_(open_log(dir_fd)) {
    struct stat st {};
    size_ = log_ && ::fstat(log_.get(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  }
  // False once the log cannot go on (the container directory is gone: skiff rm).
  bool ok() const { return static_cast<bool>(log_); }
  void append(const char* p, uint64_t left) {
    // Each file stays within max_size and, where lines fit, ends at a line's end.
    while (left > 0 && log_) {
      uint64_t room = size_ < limits_.max_size ? limits_.max_size - size_ : 0;
      uint64_t take = left;
      if (left > room) {
        const void* nl = room > 0 ? ::memrchr(p, '\n', room) : nullptr;
        take = nl ? static_cast<uint64_t>(static_cast<const char*>(nl) - p) + 1 : (size_ > 0 ? 0 : room);
      }
      if (take > 0 && try_write_all(log_.get(), p, take)) size_ += take;
      p += take;
      left -= take;
      if (left > 0) {
        rotate(dir_fd_, limits_.max_files);
        log_.reset(open_log(dir_fd_));
        size_ = 0;
      }
    }
  }

 private:
  int dir_fd_;
  LogLimits limits_;
  UniqueFd log_;
  uint64_t size_ = 0;
};

// The keeper's whole life: fd 0 is the (stdout) pipe, fd 3 the container directory, fd 4 the locked
// log.lock, fd 5 the confirm pipe's read end; when echoing, fd 6 is the stderr pipe and fds 7 and 8
// the terminal's stdout and stderr.
[[noreturn]] void keep_log(const LogLimits& limits, const std::function<void(unsigned long long)>& after_exit,
                           bool echo) {
  RotatingLog log(3, limits);
  if (!log.ok()) ::_exit(1);
  struct Stream {
    int in, echo;
  };
  std::vector<Stream> streams = {{0, echo ? 7 : -1}};
  if (echo) streams.push_back({6, 8});
  std::vector<char> buf(64 * 1024);
  while (!streams.empty()) {
    std::vector<pollfd> fds;
    for (const auto& s : streams) fds.push_back({s.in, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    // In order: when both are ready, stdout's bytes (usually written first) are logged first.
    std::vector<Stream> open;
    for (size_t i = 0; i < fds.size(); ++i) {
      Stream& s = streams[i];
      if (fds[i].revents != 0) {
        ssize_t n = ::read(s.in, buf.data(), buf.size());
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) continue;  // ended: dropped
        if (n > 0) {
          // A terminal that went away (a closed pipe) stops the echo, never the log.
          if (s.echo >= 0 && !try_write_all(s.echo, buf.data(), static_cast<size_t>(n))) s.echo = -1;
          log.append(buf.data(), static_cast<uint64_t>(n));
        }
      }
      open.push_back(s);
    }
    streams = std::move(open);
    // Detached, a log that cannot go on ends the keeper; in the foreground the echo still goes on.
    if (!log.ok() && !echo) break;
  }
  unsigned long long start_time = 0;
  if (after_exit && ::read(5, &start_time, sizeof start_time) == sizeof start_time) {
    try {
      after_exit(start_time);
    } catch (...) {
    }
  }
  ::_exit(0);
}

}  // namespace

LogKeeper start_log_keeper(const std::string& dir, const LogLimits& limits,
                           std::function<void(unsigned long long)> after_exit, const LogEcho* echo) {
  if (limits.max_size == 0 || limits.max_files == 0) throw Error("log limits must be positive");
  UniqueFd dir_fd(::open(dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!dir_fd) throw Error(errno, "open " + dir);
  UniqueFd lock(::openat(dir_fd.get(), kLock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!lock) throw Error(errno, "create " + dir + "/" + kLock);
  // Taken here, before the keeper exists, so that a reader right after `run -d` sees a live log.
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) throw Error(errno, "lock " + dir + "/" + kLock);
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw Error(errno, "pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  if (::pipe2(p, O_CLOEXEC) != 0) throw Error(errno, "pipe");
  UniqueFd confirm_rd(p[0]), confirm_wr(p[1]);
  UniqueFd err_rd, err_wr;
  if (echo) {
    if (::pipe2(p, O_CLOEXEC) != 0) throw Error(errno, "pipe");
    err_rd.reset(p[0]);
    err_wr.reset(p[1]);
  }
  pid_t child = ::fork();
  if (child < 0) throw Error(errno, "fork log keeper");
  if (child == 0) {
    // Double fork: the keeper is re-parented and reaped by init, never our zombie.
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT}) ::signal(sig, SIG_IGN);
    int null = ::open("/dev/null", O_RDWR);
    // Copies above every low number first, so that moving them into place clobbers none of them.
    int in = ::fcntl(rd.get(), F_DUPFD, 100), d = ::fcntl(dir_fd.get(), F_DUPFD, 100),
        l = ::fcntl(lock.get(), F_DUPFD, 100), c = ::fcntl(confirm_rd.get(), F_DUPFD, 100);
    int e = echo ? ::fcntl(err_rd.get(), F_DUPFD, 100) : -1,
        eo = echo ? ::fcntl(echo->out_fd, F_DUPFD, 100) : -1,
        ee = echo ? ::fcntl(echo->err_fd, F_DUPFD, 100) : -1;
    if (null < 0 || in < 0 || d < 0 || l < 0 || c < 0 || (echo && (e < 0 || eo < 0 || ee < 0))) ::_exit(1);
    ::dup2(in, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::dup2(d, 3);
    ::dup2(l, 4);
    ::dup2(c, 5);
    if (echo) {
      ::dup2(e, 6);
      ::dup2(eo, 7);
      ::dup2(ee, 8);
    }
    ::syscall(SYS_close_range, echo ? 9U : 6U, ~0U, 0U);
    keep_log(limits, after_exit, echo != nullptr);
  }
  int status;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return LogKeeper{std::move(wr), std::move(err_wr), std::move(confirm_wr)};
}

void wait_log_keeper(const std::string& dir) {
  UniqueFd lock(::open((dir + "/" + kLock).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!lock) return;
  while (::flock(lock.get(), LOCK_SH) != 0 && errno == EINTR) {
  }
}

bool has_log(const std::string& dir) {
  struct stat st {};
  return ::stat((dir + "/" + kLock).c_str(), &st) == 0;
}

namespace {

// Copies what `fd` has from its offset to its end. Returns false on a write error (reader went away).
bool drain(int fd, int out_fd) {
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    if (!try_write_all(out_fd, buf, static_cast<size_t>(n))) return false;
  }
}

bool keeper_running(const std::string& dir) {
  UniqueFd lock(::open((dir + "/" + kLock).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!lock) return false;
  return ::flock(lock.get(), LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
}

bool same_file(int fd, const std::string& path) {
  struct stat a {
  }, b{};
  return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_ino == b.st_ino &&
         a.st_dev == b.st_dev;
}

}  // namespace

void copy_log(const std::string& dir, int out_fd, bool follow) {
  if (!has_log(dir)) throw Error("its output was not kept (it was made by an older skiff)");
  // Rotated files, oldest first, then the live one.
  std::vector<unsigned> olds;
  for (unsigned n = 1; n < 1000; ++n) {
    struct stat st {};
    if (::stat((dir + "/" + rotated(n)).c_str(), &st) != 0) break;
    olds.push_back(n);
  }
  for (auto it = olds.rbegin(); it != olds.rend(); ++it) {
    UniqueFd f(::open((dir + "/" + rotated(*it)).c_str(), O_RDONLY | O_CLOEXEC));
    if (f && !drain(f.get(), out_fd)) return;
  }
  std::string live = dir + "/" + kLog;
  UniqueFd cur(::open(live.c_str(), O_RDONLY | O_CLOEXEC));
  if (cur && !drain(cur.get(), out_fd)) return;
  if (!follow) return;
  for (;;) {
    // Checked before the drain: whatever the keeper wrote before it exited is read afterwards.
    bool running = keeper_running(dir);
    if (cur && !drain(cur.get(), out_fd)) return;
    if (!cur || !same_file(cur.get(), live)) {
      // Rotated (or not created yet): the rest of the old file was read above; go on with the new one.
      UniqueFd next(::open(live.c_str(), O_RDONLY | O_CLOEXEC));
      if (next) {
        cur = std::move(next);
        continue;
      }
    }
    if (!running) return;
    ::usleep(100 * 1000);
  }
}

}  // namespace skiff::cli
