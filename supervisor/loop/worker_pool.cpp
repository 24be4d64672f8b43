#include "loop/worker_pool.hpp"

#include <pthread.h>
#include <signal.h>

namespace skiff::loop {

WorkerPool::WorkerPool(EventLoop& loop, size_t threads, size_t max_queued)
    : loop_(loop), max_queued_(max_queued) {
  // Threads inherit the creator's mask: block everything around their creation so none of them ever
  // takes a signal meant for the loop's signalfd.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { worker_main(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  alive_.reset();
}

WorkerPool::Ticket WorkerPool::submit(std::function<void()> work,
                                      std::function<void(std::exception_ptr)> done) {
  Ticket t;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_ || queue_.size() >= max_queued_) return 0;
    t = ++next_;
    queue_.push_back({t, std::move(work), std::move(done)});
  }
  cv_.notify_one();
  return t;
}

bool WorkerPool::cancel(Ticket t) {
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->ticket == t) {
      queue_.erase(it);
      return true;
    }
  }
  return false;
}

size_t WorkerPool::queued() const {
  std::lock_guard<std::mutex> l(mu_);
  return queue_.size();
}

size_t WorkerPool::running() const {
  std::lock_guard<std::mutex> l(mu_);
  return running_;
}

void WorkerPool::worker_main() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    std::exception_ptr err;
    try {
      job.work();
    } catch (...) {
      err = std::current_exception();
    }
    job.work = nullptr;  // what the work captured goes now, on this thread
    {
      std::lock_guard<std::mutex> l(mu_);
      --running_;
    }
    std::weak_ptr<int> alive = alive_;
    loop_.post([alive, done = std::move(job.done), err] {
      if (alive.lock() && done) done(err);
    });
  }
}

}  // namespace skiff::loop
