#include "loop_op.hpp"

namespace skiff::probes {

LoopOperation::LoopOperation(EventLoop& loop, ProbeDone done, std::chrono::milliseconds timeout)
    : loop_(loop), started_(loop.now()), timeout_(timeout), done_(std::move(done)) {}

LoopOperation::~LoopOperation() {
  stop();
}

void LoopOperation::arm() {
  if (timeout_.count() > 0 && !deadline_)
    deadline_ = loop_.at(started_ + timeout_, [this] {
      deadline_ = 0;
      on_timeout();
    });
}

void LoopOperation::watch(int fd, uint32_t events) {
  if (fd_ == fd) {
    if (events_ != events) loop_.modify(fd, events);
    events_ = events;
    return;
  }
  unwatch();
  loop_.watch(fd, events, [this](uint32_t ev) { on_io(ev); });
  fd_ = fd;
  events_ = events;
}

void LoopOperation::unwatch() {
  if (fd_ < 0) return;
  loop_.unwatch(fd_);
  fd_ = -1;
  events_ = 0;
}

void LoopOperation::stop() {
  unwatch();
  if (deadline_) loop_.cancel(deadline_);
  if (soon_) loop_.cancel(soon_);
  deadline_ = soon_ = 0;
}

void LoopOperation::finish(Result result, std::string message, bool is_error) {
  if (finished_) return;
  if (starting_) return finish_soon(result, std::move(message), is_error);
  finished_ = true;
  stop();
  release();
  ProbeOutcome o{result, std::move(message), is_error,
                 std::chrono::duration_cast<std::chrono::nanoseconds>(loop_.now() - started_)};
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(o));  // may destroy *this: nothing after
}

void LoopOperation::finish_soon(Result result, std::string message, bool is_error) {
  if (finished_ || soon_) return;
  // Whatever else the operation does until then stops now.
  unwatch();
  soon_ = loop_.after(std::chrono::milliseconds(0), [this, result, message = std::move(message), is_error] {
    soon_ = 0;
    starting_ = false;
    finish(result, message, is_error);
  });
}

}  // namespace skiff::probes
