// Host name lookups for probes whose `host` is a name: getaddrinfo blocks, so one background thread
// (made on first use, from the loop's thread, hence in its network namespace) runs them one at a time
// from a bounded queue and posts each answer back to the event loop. Addresses never come here.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "event_loop.hpp"
#include "net_util.hpp"

namespace skiff::probes {

class Resolver {
 public:
  static constexpr size_t kMaxQueued = 64;
  // The host's addresses in getaddrinfo's order (empty on failure), or the error in Go's words
  // ("dial tcp: lookup db: no such host").
  using Done = std::function<void(std::vector<Endpoint>, std::string)>;

  // A lookup in flight; destroying it means its answer is never delivered.
  class Lookup {
   public:
    Lookup() = default;
    ~Lookup();
    Lookup(Lookup&&) = default;
    Lookup& operator=(Lookup&&) = default;

   private:
    friend class Resolver;
    struct State;
    std::shared_ptr<State> state_;
  };

  explicit Resolver(EventLoop& loop) : loop_(loop) {}
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Calls done on the loop thread, later (never from within lookup()).
  Lookup lookup(const std::string& host, int port, Done done);

 private:
  void worker();

  EventLoop& loop_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, std::shared_ptr<Lookup::State>>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace skiff::probes
