#include "exec_probe.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "error.hpp"
#include "loop_op.hpp"
#include "text_util.hpp"

namespace skiff::probes {
namespace {

constexpr size_t kMaxOutput = 10 * 1024;  // the kubelet's maxReadLength
constexpr int kReadsPerWake = 16;

std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (size_t i = 0; i < argv.size(); ++i) s += (i ? " " : "") + argv[i];
  return s;
}

class ExecOp final : public LoopOperation {
 public:
  ExecOp(EventLoop& loop, ExecReaper& reaper, std::chrono::milliseconds timeout, ProbeDone done)
      : LoopOperation(loop, std::move(done), timeout), reaper_(reaper) {}

  // Unwatch before the members close the fds (the base only unwatches what is still registered).
  ~ExecOp() override { release(); }

  void begin(ExecRunner& runner, std::vector<std::string> argv) {
    command_ = joined(argv);
    arm();
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) {
      finish(Result::unknown, std::string("pipe: ") + std::strerror(errno), true);
      return started();
    }
    out_.reset(p[0]);
    UniqueFd wr(p[1]);
    // Only our end is non-blocking: the command's stdout stays an ordinary blocking pipe.
    ::fcntl(out_.get(), F_SETFL, O_NONBLOCK);
    try {
      child_ = runner.start(argv, wr.get());
    } catch (const std::exception& e) {
      finish(Result::unknown, e.what(), /*is_error=*/true);
      return started();
    }
    wr.reset();
    watch(out_.get(), EPOLLIN);
    loop_.watch(child_.pidfd.get(), EPOLLIN, [this](uint32_t) { exited(); });
    pid_watched_ = true;
    started();
  }

 private:
  void drain(int max_reads) {
    char buf[16384];
    for (int i = 0; i < max_reads && out_; ++i) {
      ssize_t n = ::read(out_.get(), buf, sizeof buf);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      if (n <= 0) {
        // EOF (or a broken pipe): whatever still holds the write end writes to no one.
        unwatch();
        out_.reset();
        return;
      }
      size_t keep = std::min(static_cast<size_t>(n), kMaxOutput - output_.size());
      output_.append(buf, keep);  // the rest is read and dropped, so a flood cannot block the command
    }
  }

  void on_io(uint32_t) override { drain(kReadsPerWake); }

  void exited() {
    // The leader is a zombie until reaped: its group id cannot be reused yet, so killing what it left
    // running in its group hits only those.
    kill_group(child_);
    siginfo_t info{};
    int rc = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(child_.pidfd.get()), &info,
                      WEXITED | WNOHANG);
    if (rc == 0 && info.si_pid == 0) return;  // not yet (a spurious wake-up)
    unwatch_pid();
    child_ = {};
    drain(kReadsPerWake * 4);  // what it wrote before it exited
    if (rc < 0)
      return finish(Result::unknown, std::string("wait for the exec'd process: ") + std::strerror(errno),
                    true);
    bool ok = info.si_code == CLD_EXITED && info.si_status == 0;
    finish(ok ? Result::success : Result::failure, output_);
  }

  void on_timeout() override {
    stop_child();
    finish(Result::failure, "command " + go_quote(command_) + " timed out");
  }

  void unwatch_pid() {
    if (pid_watched_) loop_.unwatch(child_.pidfd.get());
    pid_watched_ = false;
  }

  // Kills the command (and its group) and leaves the reaping to the reaper.
  void stop_child() {
    unwatch_pid();
    if (child_.pidfd) reaper_.kill_and_reap(std::move(child_));
    child_ = {};
  }

  void release() override {
    stop_child();
    unwatch();
    out_.reset();
  }

  ExecReaper& reaper_;
  std::string command_;
  UniqueFd out_;
  ExecChild child_;
  bool pid_watched_ = false;
  std::string output_;
};

}  // namespace

std::string expand_env(const std::string& in, const std::map<std::string, std::string>& env) {
  std::string out;
  size_t checkpoint = 0;
  for (size_t cursor = 0; cursor < in.size(); ++cursor) {
    if (in[cursor] != '$' || cursor + 1 >= in.size()) continue;
    out.append(in, checkpoint, cursor - checkpoint);
    char next = in[cursor + 1];
    size_t advance = 1;
    if (next == '$') {
      out += '$';  // an escaped operator
    } else if (next == '(') {
      size_t close = in.find(')', cursor + 2);
      if (close == std::string::npos) {
        out += "$(";  // incomplete: kept as written
      } else {
        std::string name = in.substr(cursor + 2, close - cursor - 2);
        auto it = env.find(name);
        out += it != env.end() ? it->second : "$(" + name + ")";
        advance = close - cursor;
      }
    } else {
      out += '$';
      out += next;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  out.append(in, checkpoint, std::string::npos);
  return out;
}

std::vector<std::string> expand_command(const std::vector<std::string>& command,
                                        const std::vector<std::pair<std::string, std::string>>& env) {
  std::map<std::string, std::string> m;
  for (const auto& [k, v] : env) m[k] = v;
  std::vector<std::string> out;
  out.reserve(command.size());
  for (const auto& arg : command) out.push_back(expand_env(arg, m));
  return out;
}

void kill_group(const ExecChild& child) {
  if (child.pid > 0) ::kill(-child.pid, SIGKILL);
  if (child.pidfd) ::syscall(SYS_pidfd_send_signal, child.pidfd.get(), SIGKILL, nullptr, 0);
}

ExecReaper::~ExecReaper() {
  for (auto& [fd, child] : children_) {
    loop_.unwatch(fd);
    siginfo_t info{};
    ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fd), &info, WEXITED | WNOHANG);
  }
}

void ExecReaper::kill_and_reap(ExecChild child) {
  if (!child.pidfd) return;
  kill_group(child);
  int fd = child.pidfd.get();
  children_[fd] = std::move(child);
  loop_.watch(fd, EPOLLIN, [this, fd](uint32_t) { reaped(fd); });
}

void ExecReaper::reaped(int fd) {
  siginfo_t info{};
  int rc = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fd), &info, WEXITED | WNOHANG);
  if (rc == 0 && info.si_pid == 0) return;
  loop_.unwatch(fd);
  children_.erase(fd);
}

std::unique_ptr<ProbeOperation> start_exec(EventLoop& loop, ExecReaper& reaper, ExecRunner& runner,
                                           std::vector<std::string> argv, std::chrono::milliseconds timeout,
                                           ProbeDone done) {
  auto op = std::make_unique<ExecOp>(loop, reaper, timeout, std::move(done));
  op->begin(runner, std::move(argv));
  return op;
}

}  // namespace skiff::probes
