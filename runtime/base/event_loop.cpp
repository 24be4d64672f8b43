#include "event_loop.hpp"

#include <sys/eventfd.h>
#include <sys/timerfd.h>

#include <cerrno>
#include <ctime>

#include "error.hpp"

namespace skiff {
namespace {

// epoll_event.data carries (generation << 32 | fd), so an event queued for an fd that a callback
// closed and whose number was reused by a new watch in the same round is recognised as stale.
constexpr uint64_t kTimerTag = 0xffffffff00000001ull;
constexpr uint64_t kWakeTag = 0xffffffff00000002ull;
constexpr int kMaxEvents = 64;

uint64_t tag(int fd, uint32_t generation) {
  return (uint64_t{generation} << 32) | static_cast<uint32_t>(fd);
}

// The generation of each new watch: never 0xffffffff (the tags above).
uint32_t next_generation() {
  static thread_local uint32_t g = 0;
  g = (g + 1) % 0xffffffffu;
  return g;
}

}  // namespace

EventLoop::EventLoop()
    : epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      timer_fd_(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)),
      wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!epoll_) throw Error(errno, "epoll_create1");
  if (!timer_fd_) throw Error(errno, "timerfd_create");
  if (!wake_fd_) throw Error(errno, "eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kTimerTag;
  check(::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, timer_fd_.get(), &ev), "epoll_ctl add timerfd");
  ev.data.u64 = kWakeTag;
  check(::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_fd_.get(), &ev), "epoll_ctl add eventfd");
}

EventLoop::~EventLoop() = default;

void EventLoop::watch(int fd, uint32_t events, FdCallback cb) {
  auto it = fds_.find(fd);
  uint32_t generation = next_generation();
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag(fd, generation);
  int op = it == fds_.end() ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  check(::epoll_ctl(epoll_.get(), op, fd, &ev), "epoll_ctl watch fd " + std::to_string(fd));
  Watch w{events, generation, std::make_shared<FdCallback>(std::move(cb))};
  if (it == fds_.end())
    fds_.emplace(fd, std::move(w));
  else
    it->second = std::move(w);
}

void EventLoop::modify(int fd, uint32_t events) {
  auto it = fds_.find(fd);
  if (it == fds_.end())
    throw Error("event loop: modify of fd " + std::to_string(fd) + ", which is not watched");
  if (it->second.events == events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag(fd, it->second.generation);
  check(::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev), "epoll_ctl modify fd " + std::to_string(fd));
  it->second.events = events;
}

void EventLoop::unwatch(int fd) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return;
  // EBADF/ENOENT: the caller closed the fd first; epoll dropped it then.
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  fds_.erase(it);
}

EventLoop::TimerId EventLoop::at(TimePoint when, std::function<void()> cb) {
  TimerId id = next_timer_++;
  timers_.emplace(std::make_pair(when, id), std::move(cb));
  timer_index_.emplace(id, when);
  if (when < armed_for_) arm_timerfd();
  return id;
}

bool EventLoop::cancel(TimerId id) {
  auto it = timer_index_.find(id);
  if (it == timer_index_.end()) return false;
  timers_.erase(std::make_pair(it->second, id));
  timer_index_.erase(it);
  // The timerfd may stay armed for the cancelled deadline: it then fires once and finds nothing due.
  return true;
}

void EventLoop::arm_timerfd() {
  itimerspec spec{};
  if (timers_.empty()) {
    armed_for_ = TimePoint::max();
  } else {
    armed_for_ = timers_.begin()->first.first;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(armed_for_.time_since_epoch()).count();
    if (ns <= 0) ns = 1;  // an all-zero it_value would disarm; a past deadline fires at once
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
  }
  check(::timerfd_settime(timer_fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr), "timerfd_settime");
}

void EventLoop::run_due_timers() {
  uint64_t expirations;
  while (::read(timer_fd_.get(), &expirations, sizeof expirations) < 0 && errno == EINTR) {
  }
  armed_for_ = TimePoint::max();
  // Only timers due now run this round: one that a callback adds for "now" runs in the next round,
  // so a callback re-arming itself with a zero delay cannot starve the fds.
  TimePoint t = now();
  std::vector<std::function<void()>> due;
  while (!timers_.empty() && timers_.begin()->first.first <= t) {
    auto node = timers_.extract(timers_.begin());
    timer_index_.erase(node.key().second);
    due.push_back(std::move(node.mapped()));
  }
  // Arm for what is left before running callbacks, so an exception leaves the loop consistent.
  arm_timerfd();
  for (size_t i = 0; i < due.size(); ++i) {
    try {
      due[i]();
    } catch (...) {
      // The rest of this round's timers must still run: queue them as posts, then rethrow.
      std::lock_guard<std::mutex> g(post_mu_);
      for (size_t j = i + 1; j < due.size(); ++j) posts_.push_back(std::move(due[j]));
      if (i + 1 < due.size()) {
        uint64_t one = 1;
        (void)!::write(wake_fd_.get(), &one, sizeof one);
      }
      throw;
    }
  }
}

void EventLoop::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> g(post_mu_);
    posts_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  // EAGAIN only when the counter is at its maximum: the loop is woken either way.
  (void)!::write(wake_fd_.get(), &one, sizeof one);
}

void EventLoop::run_posts() {
  uint64_t n;
  while (::read(wake_fd_.get(), &n, sizeof n) < 0 && errno == EINTR) {
  }
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> g(post_mu_);
    batch.swap(posts_);
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    try {
      batch[i]();
    } catch (...) {
      std::lock_guard<std::mutex> g(post_mu_);
      posts_.insert(posts_.begin(), std::make_move_iterator(batch.begin() + static_cast<long>(i) + 1),
                    std::make_move_iterator(batch.end()));
      if (!posts_.empty()) {
        uint64_t one = 1;
        (void)!::write(wake_fd_.get(), &one, sizeof one);
      }
      throw;
    }
  }
}

void EventLoop::stop() {
  {
    std::lock_guard<std::mutex> g(post_mu_);
    stop_ = true;
  }
  uint64_t one = 1;
  (void)!::write(wake_fd_.get(), &one, sizeof one);
}

bool EventLoop::stopped() const {
  std::lock_guard<std::mutex> g(post_mu_);
  return stop_;
}

bool EventLoop::run_once(int timeout_ms) {
  epoll_event events[kMaxEvents];
  int n = ::epoll_wait(epoll_.get(), events, kMaxEvents, timeout_ms);
  if (n < 0) {
    if (errno != EINTR) throw Error(errno, "epoll_wait");
    n = 0;
  }
  bool timers_due = false, posted = false;
  for (int i = 0; i < n; ++i) {
    uint64_t t = events[i].data.u64;
    if (t == kTimerTag) {
      timers_due = true;
      continue;
    }
    if (t == kWakeTag) {
      posted = true;
      continue;
    }
    int fd = static_cast<int>(t & 0xffffffffu);
    auto it = fds_.find(fd);
    if (it == fds_.end() || it->second.generation != static_cast<uint32_t>(t >> 32)) continue;
    std::shared_ptr<FdCallback> cb = it->second.cb;  // kept alive if the callback unwatches itself
    (*cb)(events[i].events);
  }
  if (timers_due) run_due_timers();
  if (posted) run_posts();
  return !stopped();
}

void EventLoop::run() {
  while (run_once(-1)) {
  }
  std::lock_guard<std::mutex> g(post_mu_);
  stop_ = false;
}

}  // namespace skiff
