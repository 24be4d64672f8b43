// What the API tests share: a socket path unique to the test process, and a server whose EventLoop
// runs on its own thread while the test talks to it with the blocking Client.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <thread>

#include "api/client.hpp"
#include "api/server.hpp"
#include "file_util.hpp"

namespace skiff::api::testing {

inline std::string test_dir() {
  return "/tmp/skiff-sv-api-" + std::to_string(::getpid()) + "-" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

// Polls `cond` until true or 20 s pass; for negative checks on state that settles asynchronously.
inline bool eventually(const std::function<bool()>& cond) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

inline long status_kib(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  return -1;
}

inline size_t open_fds() {
  size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       it != std::filesystem::directory_iterator(); ++it)
    ++n;
  return n;
}

class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_dir();
    remove_all(dir_);
    mkdir_all(dir_, 0700);
    socket_ = dir_ + "/skiff.sock";
  }
  void TearDown() override {
    stop();
    remove_all(dir_);
  }
  // Call after the routes are added.
  void start(ServerOptions o = {}) {
    o.socket_path = socket_;
    o.log = [this](const std::string& l) {
      std::lock_guard<std::mutex> g(log_mu_);
      log_.push_back(l);
    };
    server_ = std::make_unique<Server>(loop_, router_, o);
    thread_ = std::thread([this] { loop_.run(); });
  }
  void stop() {
    if (!thread_.joinable()) return;
    loop_.post([this] { loop_.stop(); });
    thread_.join();
    server_.reset();
  }
  // Runs `f` on the loop thread and waits for it.
  template <typename F>
  auto on_loop(F f) {
    std::promise<decltype(f())> p;
    auto fut = p.get_future();
    loop_.post([&] {
      if constexpr (std::is_void_v<decltype(f())>) {
        f();
        p.set_value();
      } else {
        p.set_value(f());
      }
    });
    return fut.get();
  }
  size_t connections() {
    return on_loop([this] { return server_->connection_count(); });
  }
  std::vector<std::string> log_lines() {
    std::lock_guard<std::mutex> g(log_mu_);
    return log_;
  }
  std::string dir_, socket_;
  EventLoop loop_;
  Router router_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

}  // namespace skiff::api::testing
