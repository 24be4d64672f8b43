// What the store tests share: a temp state dir per test (pid in its name), a fake clock, and a manual
// executor standing in for the event loop (posted work and timers run when the test says so).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <deque>
#include <map>

#include "file_util.hpp"
#include "store/object_store.hpp"

namespace skiff::store::testing {

class FakeClock : public Clock {
 public:
  std::chrono::system_clock::time_point wall() const override { return wall_; }
  std::chrono::steady_clock::time_point steady() const override { return steady_; }
  void advance(std::chrono::milliseconds d) {
    wall_ += d;
    steady_ += d;
  }

 private:
  std::chrono::system_clock::time_point wall_ =
      std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  std::chrono::steady_clock::time_point steady_ =
      std::chrono::steady_clock::time_point(std::chrono::hours(1));
};

class ManualExecutor {
 public:
  explicit ManualExecutor(FakeClock& clock) : clock_(clock) {
    ex.post = [this](std::function<void()> f) { posted_.push_back(std::move(f)); };
    ex.after = [this](std::chrono::milliseconds d, std::function<void()> f) {
      uint64_t id = ++next_;
      timers_[id] = {clock_.steady() + d, std::move(f)};
      return id;
    };
    ex.cancel = [this](uint64_t id) { timers_.erase(id); };
  }
  // Runs posted work until none is left.
  size_t run_posted() {
    size_t n = 0;
    while (!posted_.empty()) {
      auto f = std::move(posted_.front());
      posted_.pop_front();
      f();
      ++n;
    }
    return n;
  }
  // Advances the clock and fires the timers that are due.
  void advance(std::chrono::milliseconds d) {
    clock_.advance(d);
    for (bool fired = true; fired;) {
      fired = false;
      for (auto it = timers_.begin(); it != timers_.end(); ++it) {
        if (it->second.first <= clock_.steady()) {
          auto f = std::move(it->second.second);
          timers_.erase(it);
          f();
          fired = true;
          break;
        }
      }
    }
    run_posted();
  }
  size_t timers() const { return timers_.size(); }
  Executor ex;

 private:
  FakeClock& clock_;
  std::deque<std::function<void()>> posted_;
  std::map<uint64_t, std::pair<std::chrono::steady_clock::time_point, std::function<void()>>> timers_;
  uint64_t next_ = 0;
};

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/skiff-sv-store-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    remove_all(dir_);
  }
  void TearDown() override {
    store_.reset();
    remove_all(dir_);
  }
  StoreOptions options() {
    StoreOptions o;
    o.state_dir = dir_;
    o.executor = &exec_.ex;
    o.clock = &clock_;
    o.status_write_interval = std::chrono::seconds(10);
    o.on_background_error = [this](const std::string& e) { background_errors_.push_back(e); };
    return o;
  }
  ObjectStore& open() {
    store_.reset();
    store_ = ObjectStore::open(options());
    return *store_;
  }
  static nlohmann::json pod(const std::string& name, const std::string& ns = "default",
                            nlohmann::json labels = nlohmann::json::object()) {
    return {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}},
            {"spec", {{"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}};
  }
  std::string dir_;
  FakeClock clock_;
  ManualExecutor exec_{clock_};
  std::unique_ptr<ObjectStore> store_;
  std::vector<std::string> background_errors_;
};

}  // namespace skiff::store::testing
