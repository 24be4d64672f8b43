// The Kubernetes-shaped routes over a real store, through the real server and client.
#include "api/object_routes.hpp"

#include "api_fixture.hpp"
#include "store/events.hpp"

namespace skiff::api::testing {
namespace {

using nlohmann::json;

class ObjectRoutesTest : public ServerFixture {
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
    store_ = store::ObjectStore::open(so);
    events_ = std::make_unique<store::EventRecorder>(*store_);
    api_ = std::make_unique<ObjectApi>(ObjectApi{loop_, *store_, events_.get(), {}});
    add_object_routes(router_, *api_);
    start();
  }
  void TearDown() override {
    stop();
    events_.reset();
    store_.reset();
    ServerFixture::TearDown();
  }
  static std::string pod(const std::string& name, const std::string& app) {
    return json({{"apiVersion", "v1"},
                 {"kind", "Pod"},
                 {"metadata", {{"name", name}, {"labels", {{"app", app}}}}},
                 {"spec", {{"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}})
        .dump();
  }
  store::Executor executor_;
  std::unique_ptr<store::ObjectStore> store_;
  std::unique_ptr<store::EventRecorder> events_;
  std::unique_ptr<ObjectApi> api_;
};

TEST_F(ObjectRoutesTest, CreateGetListUpdateDelete) {
  Client c(socket_);
  auto created = c.request("POST", "/api/v1/namespaces/default/pods", pod("web", "web"));
  ASSERT_EQ(created.status, 201) << created.body;
  json p = created.json();
  EXPECT_EQ(p["metadata"]["namespace"], "default");
  EXPECT_FALSE(p["metadata"]["uid"].get<std::string>().empty());
  c.request("POST", "/api/v1/namespaces/default/pods", pod("db", "db"));

  auto dup = c.request("POST", "/api/v1/namespaces/default/pods", pod("web", "web"));
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.json()["reason"], "AlreadyExists");
  EXPECT_EQ(dup.json()["message"], "pods \"web\" already exists");

  auto got = c.get("/api/v1/namespaces/default/pods/web");
  EXPECT_EQ(got.json()["metadata"]["uid"], p["metadata"]["uid"]);
  auto nf = c.get("/api/v1/namespaces/default/pods/ghost");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.json(), json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
    "message":"pods \"ghost\" not found","reason":"NotFound","code":404})"));

  auto list = c.get("/api/v1/pods?labelSelector=app%3Dweb").json();
  EXPECT_EQ(list["kind"], "PodList");
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["metadata"]["name"], "web");
  EXPECT_EQ(c.get("/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Ddb").json()["items"].size(),
            1u);
  EXPECT_EQ(c.get("/api/v1/pods?labelSelector=app+in+(").status, 400);
  EXPECT_EQ(c.get("/api/v1/pods?fieldSelector=spec.nodeName%3Dx").json()["message"],
            "field label not supported: spec.nodeName");

  // PUT with a stale resourceVersion: Conflict; merge patch: applied.
  json stale = p;
  stale["metadata"]["labels"]["v"] = "2";
  c.request("PATCH", "/api/v1/namespaces/default/pods/web", R"({"metadata":{"labels":{"tier":"front"}}})",
            "application/merge-patch+json");
  auto conflict = c.request("PUT", "/api/v1/namespaces/default/pods/web", stale.dump());
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.json()["reason"], "Conflict");
  EXPECT_EQ(c.get("/api/v1/namespaces/default/pods/web").json()["metadata"]["labels"]["tier"], "front");
  EXPECT_EQ(c.request("PATCH", "/api/v1/namespaces/default/pods/web", "{}",
                      "application/strategic-merge-patch+json")
                .status,
            415);
  EXPECT_EQ(c.request("PUT", "/api/v1/namespaces/default/pods/other", pod("web", "x")).status,
            400);  // name mismatch

  // Deployments under apps/v1, and the namespace must exist.
  json d = {{"kind", "Deployment"}, {"metadata", {{"name", "web"}}}, {"spec", {{"replicas", 3}}}};
  EXPECT_EQ(c.request("POST", "/apis/apps/v1/namespaces/default/deployments", d.dump()).status, 201);
  EXPECT_EQ(c.request("POST", "/apis/apps/v1/namespaces/shop/deployments", d.dump()).json()["message"],
            "namespaces \"shop\" not found");
  EXPECT_EQ(c.request("POST", "/api/v1/namespaces/default/pods", "{not json").status, 400);

  EXPECT_EQ(c.request("DELETE", "/api/v1/namespaces/default/pods/web").status, 200);
  EXPECT_EQ(c.get("/api/v1/namespaces/default/pods/web").status, 404);
}

TEST_F(ObjectRoutesTest, WatchStreamsCurrentStateThenChanges) {
  Client c(socket_);
  c.request("POST", "/api/v1/namespaces/default/pods", pod("a", "web"));
  std::vector<std::string> seen;
  std::thread watcher([&] {
    Client w(socket_);
    w.stream_lines("/api/v1/namespaces/default/pods?watch=1&labelSelector=app%3Dweb",
                   [&](const std::string& l) {
                     json e = json::parse(l);
                     seen.push_back(e["type"].get<std::string>() + " " +
                                    e["object"]["metadata"]["name"].get<std::string>());
                     return seen.size() < 3;
                   });
  });
  ASSERT_TRUE(eventually([&] { return on_loop([&] { return store_->hub().subscriber_count(); }) == 1; }));
  c.request("POST", "/api/v1/namespaces/default/pods", pod("other", "db"));  // not selected
  c.request("POST", "/api/v1/namespaces/default/pods", pod("b", "web"));
  c.request("DELETE", "/api/v1/namespaces/default/pods/a");
  watcher.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED a", "ADDED b", "DELETED a"}));
  // The watcher went away: its subscription goes too.
  EXPECT_TRUE(eventually([&] { return on_loop([&] { return store_->hub().subscriber_count(); }) == 0; }));

  // From a resourceVersion: only what came after it.
  std::string rv = c.get("/api/v1/namespaces/default/pods").json()["metadata"]["resourceVersion"];
  c.request("POST", "/api/v1/namespaces/default/pods", pod("c", "web"));
  std::string first;
  Client w(socket_);
  w.stream_lines("/api/v1/pods?watch=true&resourceVersion=" + rv, [&](const std::string& l) {
    first = l;
    return false;
  });
  EXPECT_EQ(json::parse(first)["object"]["metadata"]["name"], "c");
  EXPECT_EQ(json::parse(first)["type"], "ADDED");
}

TEST_F(ObjectRoutesTest, EventsForDescribe) {
  Client c(socket_);
  c.request("POST", "/api/v1/namespaces/default/pods", pod("web", "web"));
  on_loop([&] {
    auto p = store_->get("Pod", "default", "web");
    events_->record(*p, "Normal", "Pulling", "Pulling image \"busybox\"", "kubelet");
    events_->record(*p, "Normal", "Pulling", "Pulling image \"busybox\"", "kubelet");
    events_->record({{"kind", "Pod"}, {"namespace", "default"}, {"name", "db"}}, "Warning", "BackOff", "x",
                    "kubelet");
  });
  auto evs = c.get(
                  "/api/v1/namespaces/default/"
                  "events?fieldSelector=involvedObject.name%3Dweb,involvedObject.kind%3DPod")
                 .json();
  EXPECT_EQ(evs["kind"], "EventList");
  ASSERT_EQ(evs["items"].size(), 1u);
  EXPECT_EQ(evs["items"][0]["count"], 2);
  EXPECT_EQ(evs["items"][0]["reason"], "Pulling");
  EXPECT_EQ(c.get("/api/v1/events").json()["items"].size(), 2u);
  EXPECT_EQ(c.request("POST", "/api/v1/namespaces/default/events", "{}").status, 405);
}

}  // namespace
}  // namespace skiff::api::testing
