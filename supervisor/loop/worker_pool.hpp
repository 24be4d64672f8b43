// WorkerPool: a few threads for the blocking work the loop must never do itself (image pulls, layer
// extraction, container creation), with a bounded queue. Work runs on a worker; its completion runs on
// the loop thread (EventLoop::post) with the result or the exception. No thread per container.
//
// submit() is called on the loop thread (not thread-safe against itself). When the queue is full it
// refuses (returns 0) instead of growing: the caller retries later (a pod stays ContainerCreating).
// Workers block every signal, so signals reach the loop's signalfd. The destructor lets running work
// finish, drops what was still queued (its completion is not called) and joins the threads; the loop
// must outlive the pool, and completions posted after it was destroyed are not run.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "event_loop.hpp"

namespace skiff::loop {

class WorkerPool {
 public:
  WorkerPool(EventLoop& loop, size_t threads = 2, size_t max_queued = 64);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  using Ticket = uint64_t;
  // `work` runs on a worker; `done(error)` runs on the loop thread afterwards, error null on success.
  // Returns 0 when the queue is full.
  Ticket submit(std::function<void()> work, std::function<void(std::exception_ptr)> done);

  // Typed form: `work` returns a T, `done` gets it (or the exception).
  template <typename T>
  Ticket submit_value(std::function<T()> work,
                      std::function<void(std::optional<T>, std::exception_ptr)> done) {
    auto result = std::make_shared<std::optional<T>>();
    return submit([work = std::move(work), result] { *result = work(); },
                  [done = std::move(done), result](std::exception_ptr e) { done(std::move(*result), e); });
  }

  // Takes back work not yet started (its completion is not called). False if it already started.
  bool cancel(Ticket t);
  size_t queued() const;
  size_t running() const;

 private:
  struct Job {
    Ticket ticket;
    std::function<void()> work;
    std::function<void(std::exception_ptr)> done;
  };
  void worker_main();

  EventLoop& loop_;
  size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  size_t running_ = 0;
  bool stopping_ = false;
  Ticket next_ = 0;
  std::vector<std::thread> threads_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // completions check it on the loop thread
};

}  // namespace skiff::loop
