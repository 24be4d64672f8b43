// EventRecorder: client-go's correlation (dedup, aggregation, spam filter), the bounds, and the log.
#include "store/events.hpp"

#include <sys/stat.h>

#include "file_util.hpp"
#include "store_fixture.hpp"

namespace skiff::store::testing {
namespace {

using nlohmann::json;

class EventsTest : public StoreTest {
 protected:
  EventRecorder& recorder(EventOptions o = {}) {
    rec_.reset();
    if (!store_) open();
    o.source_host = "node1";
    rec_ = std::make_unique<EventRecorder>(*store_, o);
    return *rec_;
  }
  void TearDown() override {
    rec_.reset();
    StoreTest::TearDown();
  }
  json web() { return *store_->get("Pod", "default", "web"); }
  std::unique_ptr<EventRecorder> rec_;
};

TEST_F(EventsTest, TheSameEventCountsUp) {
  open().create(pod("web"));
  auto& r = recorder();
  auto a = r.record(web(), "Warning", "BackOff", "Back-off restarting failed container", "kubelet");
  clock_.advance(std::chrono::seconds(5));
  auto b = r.record(web(), "Warning", "BackOff", "Back-off restarting failed container", "kubelet");
  ASSERT_TRUE(a && b);
  EXPECT_EQ((*b)["metadata"]["name"], (*a)["metadata"]["name"]);
  EXPECT_EQ((*b)["count"], 2);
  EXPECT_EQ((*b)["firstTimestamp"], "2023-11-14T22:13:20Z");
  EXPECT_EQ((*b)["lastTimestamp"], "2023-11-14T22:13:25Z");
  EXPECT_EQ((*b)["involvedObject"]["uid"], web()["metadata"]["uid"]);
  EXPECT_EQ((*b)["source"]["component"], "kubelet");
  EXPECT_EQ((*b)["source"]["host"], "node1");
  auto c = r.record(web(), "Normal", "Pulled", "Successfully pulled image", "kubelet");
  EXPECT_NE((*c)["metadata"]["name"], (*a)["metadata"]["name"]);
  EXPECT_EQ(r.size(), 2u);
  EXPECT_EQ(r.list({"default", "Pod", "web", ""}).size(), 2u);
  EXPECT_EQ(r.list({"default", "Pod", "other", ""}).size(), 0u);
}

TEST_F(EventsTest, TenDistinctMessagesAreCombined) {
  open().create(pod("web"));
  auto& r = recorder();
  for (int i = 0; i < 9; ++i)
    r.record(web(), "Warning", "Unhealthy", "probe failed: " + std::to_string(i), "kubelet");
  EXPECT_EQ(r.size(), 9u);
  auto ten = r.record(web(), "Warning", "Unhealthy", "probe failed: 9", "kubelet");
  EXPECT_EQ((*ten)["message"], "(combined from similar events): probe failed: 9");
  auto eleven = r.record(web(), "Warning", "Unhealthy", "probe failed: 10", "kubelet");
  EXPECT_EQ((*eleven)["metadata"]["name"], (*ten)["metadata"]["name"]);
  EXPECT_EQ((*eleven)["count"], 2);
  EXPECT_EQ(r.size(), 10u);
  // After ten quiet minutes the aggregation starts over.
  clock_.advance(std::chrono::seconds(601));
  auto fresh = r.record(web(), "Warning", "Unhealthy", "probe failed: 11", "kubelet");
  EXPECT_EQ((*fresh)["message"], "probe failed: 11");
}

TEST_F(EventsTest, SpamFilterAllowsABurstThenOnePerFiveMinutes) {
  open().create(pod("web"));
  auto& r = recorder();
  int passed = 0;
  for (int i = 0; i < 40; ++i)
    passed += r.record(web(), "Normal", "R" + std::to_string(i), "m", "kubelet") != nullptr;
  EXPECT_EQ(passed, 25);
  clock_.advance(std::chrono::seconds(300));
  EXPECT_TRUE(r.record(web(), "Normal", "Later", "m", "kubelet"));
  EXPECT_FALSE(r.record(web(), "Normal", "Later2", "m", "kubelet"));
  // Another object has its own bucket.
  store_->create(pod("db"));
  EXPECT_TRUE(r.record(*store_->get("Pod", "default", "db"), "Normal", "R", "m", "kubelet"));
}

TEST_F(EventsTest, MemoryIsBoundedPerNamespaceAndOverall) {
  auto& s = open();
  s.create({{"kind", "Namespace"}, {"metadata", {{"name", "a"}}}});
  s.create({{"kind", "Namespace"}, {"metadata", {{"name", "b"}}}});
  EventOptions o;
  o.per_namespace = 5;
  o.total = 8;
  auto& r = recorder(o);
  for (int i = 0; i < 20; ++i) {
    // A reference per pod: each has its own spam bucket.
    json ref = {{"kind", "Pod"}, {"namespace", "a"}, {"name", "p" + std::to_string(i)}, {"apiVersion", "v1"}};
    r.record(ref, "Normal", "Started", "Started container", "kubelet");
  }
  EXPECT_EQ(r.list({"a", "", "", ""}).size(), 5u);
  EXPECT_EQ(r.list({"a", "", "", ""}).front()->at("involvedObject")["name"], "p15");  // the newest kept
  for (int i = 0; i < 20; ++i) {
    json ref = {{"kind", "Pod"}, {"namespace", "b"}, {"name", "q" + std::to_string(i)}, {"apiVersion", "v1"}};
    r.record(ref, "Normal", "Started", "Started container", "kubelet");
  }
  EXPECT_EQ(r.size(), 8u);
  EXPECT_EQ(r.list({"b", "", "", ""}).size(), 5u);
  EXPECT_EQ(r.list({"a", "", "", ""}).size(), 3u);
}

TEST_F(EventsTest, EventsAreWrittenInBatchesAndComeBackAfterARestart) {
  open().create(pod("web"));
  auto& r = recorder();
  std::string log = dir_ + "/events/events.jsonl";
  for (int i = 0; i < 20; ++i) r.record(web(), "Warning", "Unhealthy", "Liveness probe failed", "kubelet");
  struct stat st;
  EXPECT_NE(::stat(log.c_str(), &st), 0);  // nothing written per event
  exec_.advance(std::chrono::seconds(5));
  ASSERT_EQ(::stat(log.c_str(), &st), 0);
  std::string data = read_file(log);
  EXPECT_EQ(std::count(data.begin(), data.end(), '\n'), 1);  // one line for twenty occurrences
  // A torn last line, as a crash mid-append leaves it.
  std::string torn = data + data.substr(0, data.size() / 2);
  write_file_atomic(log, torn);
  auto& r2 = recorder();
  auto evs = r2.list({"default", "Pod", "web", ""});
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ((*evs[0])["count"], 20);
  ASSERT_EQ(r2.load_problems().size(), 1u);
  EXPECT_NE(r2.load_problems()[0].problem.find("1 damaged line"), std::string::npos);
  // The correlator picks up where it was.
  auto again = r2.record(web(), "Warning", "Unhealthy", "Liveness probe failed", "kubelet");
  EXPECT_EQ((*again)["count"], 21);
}

TEST_F(EventsTest, TheLogIsCappedByRotation) {
  open();
  EventOptions o;
  o.log_max_bytes = 16 * 1024;
  auto& r = recorder(o);
  for (int i = 0; i < 400; ++i) {
    json ref = {
        {"kind", "Pod"}, {"namespace", "default"}, {"name", "p" + std::to_string(i)}, {"apiVersion", "v1"}};
    r.record(ref, "Normal", "Scheduled", "Successfully assigned to node1", "kubelet");
    if (i % 10 == 9) exec_.advance(std::chrono::seconds(5));
  }
  struct stat a, b;
  ASSERT_EQ(::stat((dir_ + "/events/events.jsonl").c_str(), &a), 0);
  ASSERT_EQ(::stat((dir_ + "/events/events.jsonl.1").c_str(), &b), 0);
  EXPECT_LE(static_cast<size_t>(a.st_size + b.st_size), o.log_max_bytes);
}

TEST_F(EventsTest, WatchersOfEventsSeeThem) {
  open().create(pod("web"));
  auto& r = recorder();
  std::vector<std::string> seen;
  auto sub = store_->watch({"Event", "default", "", {}}, std::nullopt, [&](const WatchEvent& e) {
    seen.push_back(std::string(event_type_name(e.type)) + " " +
                   std::to_string((*e.object)["count"].get<int>()));
  });
  r.record(web(), "Normal", "Pulling", "Pulling image \"busybox\"", "kubelet");
  r.record(web(), "Normal", "Pulling", "Pulling image \"busybox\"", "kubelet");
  exec_.run_posted();
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED 1", "MODIFIED 2"}));
}

}  // namespace
}  // namespace skiff::store::testing
