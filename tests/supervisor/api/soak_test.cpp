// Bounded memory under load: thousands of connections and requests, slow readers and watchers that
// never read. The server's RSS and fd count must come back flat after each round (measured in
// /proc/self/status and /proc/self/fd, not timed).
#include <sys/socket.h>

#include "api/object_routes.hpp"
#include "api/unix_socket.hpp"
#include "api_fixture.hpp"

namespace skiff::api::testing {
namespace {

using nlohmann::json;

class SoakTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    executor_.post = [this](std::function<void()> f) { loop_.post(std::move(f)); };
    executor_.after = [this](std::chrono::milliseconds d, std::function<void()> f) {
      return loop_.after(d, std::move(f));
    };
    executor_.cancel = [this](uint64_t id) { loop_.cancel(id); };
    store::StoreOptions so;
    so.state_dir = dir_ + "/state";
    so.executor = &executor_;
    so.watch_backlog = 256;
    store_ = store::ObjectStore::open(so);
    api_ = std::make_unique<ObjectApi>(ObjectApi{loop_, *store_, nullptr, {}});
    add_object_routes(router_, *api_);
    for (int i = 0; i < 100; ++i)
      store_->create(
          {{"kind", "Pod"},
           {"metadata",
            {{"name", "p" + std::to_string(i)}, {"namespace", "default"}, {"labels", {{"app", "web"}}}}},
           {"spec", {{"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}});
    ServerOptions o;
    o.stream_buffer_limit = 64 * 1024;
    o.write_stall_timeout = std::chrono::milliseconds(500);
    o.max_connections = 1024;
    start(o);
  }
  void TearDown() override {
    stop();
    store_.reset();
    ServerFixture::TearDown();
  }

  void round(int r) {
    // 1500 connections of one request each, from two threads.
    std::vector<std::thread> ts;
    for (int t = 0; t < 2; ++t)
      ts.emplace_back([&] {
        for (int i = 0; i < 750; ++i) {
          Client c(socket_);
          ASSERT_EQ(c.get("/api/v1/namespaces/default/pods/p" + std::to_string(i % 100)).status, 200);
        }
      });
    for (auto& t : ts) t.join();
    // 1000 requests on one kept-alive connection, lists of 100 pods among them.
    {
      Client keep(socket_);
      for (int i = 0; i < 1000; ++i) ASSERT_EQ(keep.get(i % 10 ? "/healthz" : "/api/v1/pods").status, 200);
    }
    // 40 watchers and 20 list readers that never read, while 600 updates go by.
    std::vector<UniqueFd> stuck;
    for (int i = 0; i < 60; ++i) {
      stuck.push_back(connect_unix(socket_));
      std::string req =
          i < 40 ? "GET /api/v1/pods?watch=1 HTTP/1.1\r\n\r\n" : "GET /api/v1/pods HTTP/1.1\r\n\r\n";
      ::send(stuck.back().get(), req.data(), req.size(), MSG_NOSIGNAL);
    }
    ASSERT_TRUE(eventually([&] { return on_loop([&] { return store_->hub().subscriber_count(); }) == 40; }));
    for (int i = 0; i < 600; ++i) {
      on_loop([&] {
        json p = *store_->get("Pod", "default", "p" + std::to_string(i % 100));
        p["metadata"]["labels"]["round"] = std::to_string(r * 1000 + i);
        store_->update(p);
      });
    }
    // Every stuck watcher was dropped (its buffer bound, then the stall timeout); nothing lingers.
    ASSERT_TRUE(eventually([&] { return on_loop([&] { return store_->hub().subscriber_count(); }) == 0; }));
    stuck.clear();
    ASSERT_TRUE(eventually([&] { return connections() == 0; }));
  }

  store::Executor executor_;
  std::unique_ptr<store::ObjectStore> store_;
  std::unique_ptr<ObjectApi> api_;
};

TEST_F(SoakTest, MemoryAndFdsStayFlat) {
  round(0);  // warm-up: allocator arenas, buffers, the store's history
  long rss1 = status_kib("VmRSS:");
  size_t fds1 = open_fds();
  for (int r = 1; r <= 3; ++r) round(r);
  long rss2 = status_kib("VmRSS:");
  size_t fds2 = open_fds();
  RecordProperty("rss_kib_after_warmup", std::to_string(rss1));
  RecordProperty("rss_kib_after_3_rounds", std::to_string(rss2));
  EXPECT_EQ(fds2, fds1);
  // Three rounds moved ~14k requests and dropped 120 stuck watchers: growth would show as megabytes.
  EXPECT_LT(rss2 - rss1, 4 * 1024) << "RSS " << rss1 << " KiB -> " << rss2 << " KiB";
}

}  // namespace
}  // namespace skiff::api::testing
