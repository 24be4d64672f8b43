// Where the store runs its deferred work: watch callbacks and coalesced status writes. In the supervisor
// these are the event loop's post/after/cancel (skiff::EventLoop); tests hand in a manual queue and a
// fake clock. All three are called from the thread that uses the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace skiff::store {

struct Executor {
  std::function<void(std::function<void()>)> post;
  std::function<uint64_t(std::chrono::milliseconds, std::function<void()>)> after;
  std::function<void(uint64_t)> cancel;
};

}  // namespace skiff::store
