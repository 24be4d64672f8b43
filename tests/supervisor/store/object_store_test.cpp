// ObjectStore in memory and through its watchers: the bookkeeping an API server does.
#include "store/object_store.hpp"

#include "file_util.hpp"
#include "store_fixture.hpp"

namespace skiff::store::testing {
namespace {

using nlohmann::json;

Reason reason_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const StoreError& e) {
    return e.reason();
  }
  ADD_FAILURE() << "no StoreError";
  return Reason::kInternal;
}

uint64_t rv(const ObjectPtr& o) {
  return std::stoull((*o)["metadata"]["resourceVersion"].get<std::string>());
}

TEST_F(StoreTest, CreateFillsWhatAnApiServerFills) {
  auto& s = open();
  auto p = s.create(pod("web"));
  const json& md = (*p)["metadata"];
  EXPECT_EQ(md["uid"].get<std::string>().size(), 36u);
  EXPECT_EQ(md["creationTimestamp"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(md["generation"], 1);
  EXPECT_GT(rv(p), 0u);
  EXPECT_EQ(s.get("Pod", "default", "web"), p);
  EXPECT_EQ(reason_of([&] { s.create(pod("web")); }), Reason::kAlreadyExists);
  EXPECT_EQ(reason_of([&] { s.create(pod("web", "nowhere")); }), Reason::kNotFound);
  EXPECT_EQ(reason_of([&] { s.create(pod("../etc")); }), Reason::kInvalid);
  EXPECT_EQ(reason_of([&] { s.create(pod("Web")); }), Reason::kInvalid);
  EXPECT_EQ(reason_of([&] {
              s.create({{"kind", "Gadget"}, {"metadata", {{"name", "x"}}}});
            }),
            Reason::kBadRequest);
  EXPECT_EQ(reason_of([&] {
              s.create({{"kind", "Deployment"}, {"apiVersion", "v1"}, {"metadata", {{"name", "x"}}}});
            }),
            Reason::kBadRequest);
  // A second create gets a higher revision and its own uid.
  auto q = s.create(pod("db"));
  EXPECT_GT(rv(q), rv(p));
  EXPECT_NE((*q)["metadata"]["uid"], md["uid"]);
}

TEST_F(StoreTest, GenerateNameAndDefaultNamespace) {
  auto& s = open();
  json p = pod("");
  p["metadata"].erase("name");
  p["metadata"].erase("namespace");
  p["metadata"]["generateName"] = "web-";
  auto a = s.create(p);
  auto b = s.create(p);
  std::string an = (*a)["metadata"]["name"], bn = (*b)["metadata"]["name"];
  EXPECT_EQ(an.substr(0, 4), "web-");
  EXPECT_EQ(an.size(), 9u);
  EXPECT_NE(an, bn);
  EXPECT_EQ((*a)["metadata"]["namespace"], "default");
  EXPECT_TRUE(s.get("Namespace", "", "default"));
}

TEST_F(StoreTest, ListByNamespaceAndSelector) {
  auto& s = open();
  s.create({{"kind", "Namespace"}, {"metadata", {{"name", "shop"}}}});
  s.create(pod("a", "default", {{"app", "web"}}));
  s.create(pod("b", "shop", {{"app", "web"}}));
  s.create(pod("c", "shop", {{"app", "db"}}));
  s.create({{"kind", "ConfigMap"}, {"metadata", {{"name", "a"}, {"namespace", "shop"}}}});
  auto names = [&](Filter f) {
    std::vector<std::string> out;
    for (auto& o : s.list(f).items) out.push_back((*o)["metadata"]["name"]);
    return out;
  };
  EXPECT_EQ(names({"Pod", "", "", {}}), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(names({"Pod", "shop", "", {}}), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(names({"Pod", "", "", manifest::Selector::parse("app=web")}), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(names({"Pod", "shop", "c", {}}), (std::vector<std::string>{"c"}));
  EXPECT_EQ(names({"ConfigMap", "", "", {}}), (std::vector<std::string>{"a"}));
  EXPECT_EQ(s.list({"Pod", "", "", {}}).resource_version, s.resource_version());
}

TEST_F(StoreTest, UpdateChecksResourceVersionAndBumpsGenerationOnlyForSpec) {
  auto& s = open();
  auto p0 = s.create(pod("web"));
  json p = *p0;
  p["metadata"]["labels"]["x"] = "1";
  auto p1 = s.update(p);
  EXPECT_EQ((*p1)["metadata"]["generation"], 1);  // labels are not spec
  EXPECT_GT(rv(p1), rv(p0));
  EXPECT_EQ((*p1)["metadata"]["uid"], (*p0)["metadata"]["uid"]);
  // The stale copy (p0's resourceVersion) is refused.
  p["spec"]["containers"][0]["image"] = "nginx";
  EXPECT_EQ(reason_of([&] { s.update(p); }), Reason::kConflict);
  p["metadata"]["resourceVersion"] = (*p1)["metadata"]["resourceVersion"];
  auto p2 = s.update(p);
  EXPECT_EQ((*p2)["metadata"]["generation"], 2);
  // Without a resourceVersion an update is unconditional; one that changes nothing changes nothing.
  json same = *p2;
  same["metadata"].erase("resourceVersion");
  auto p3 = s.update(same);
  EXPECT_EQ(p3, p2);
  EXPECT_EQ(rv(p3), rv(p2));
  EXPECT_EQ(reason_of([&] { s.update(pod("ghost")); }), Reason::kNotFound);
}

TEST_F(StoreTest, StatusIsKeptApartFromSpec) {
  auto& s = open();
  s.create(pod("web"));
  auto st = s.update_status("Pod", "default", "web", {{"phase", "Running"}});
  EXPECT_EQ((*st)["status"]["phase"], "Running");
  // A spec update keeps the status and ignores one sent with it.
  json p = *st;
  p["status"] = {{"phase", "Failed"}};
  p["spec"]["containers"][0]["image"] = "nginx";
  auto u = s.update(p);
  EXPECT_EQ((*u)["status"]["phase"], "Running");
  EXPECT_EQ((*u)["metadata"]["generation"], 2);
  // The same status again is no change.
  EXPECT_EQ(s.update_status("Pod", "default", "web", {{"phase", "Running"}}), u);
  EXPECT_EQ(reason_of([&] { s.update_status("ConfigMap", "default", "x", json::object()); }),
            Reason::kBadRequest);
  EXPECT_EQ(reason_of([&] {
              s.update_status("Pod", "default", "web", {{"phase", "x"}}, StatusWrite::kMemoryOnly, "1");
            }),
            Reason::kConflict);
}

TEST_F(StoreTest, DeleteWithPreconditionsAndFinalizers) {
  auto& s = open();
  auto p = s.create(pod("web"));
  DeleteOptions stale;
  stale.resource_version = "1";
  EXPECT_EQ(reason_of([&] { s.remove("Pod", "default", "web", stale); }), Reason::kConflict);
  s.remove("Pod", "default", "web");
  EXPECT_FALSE(s.get("Pod", "default", "web"));
  EXPECT_EQ(reason_of([&] { s.remove("Pod", "default", "web"); }), Reason::kNotFound);

  json f = pod("held");
  f["metadata"]["finalizers"] = {"skiff.io/termination"};
  s.create(f);
  DeleteOptions grace;
  grace.grace_period_seconds = 30;
  auto marked = s.remove("Pod", "default", "held", grace);
  EXPECT_EQ((*marked)["metadata"]["deletionTimestamp"], "2023-11-14T22:13:20Z");
  EXPECT_EQ((*marked)["metadata"]["deletionGracePeriodSeconds"], 30);
  ASSERT_TRUE(s.get("Pod", "default", "held"));
  // Removing the last finalizer completes the deletion.
  json done = *marked;
  done["metadata"]["finalizers"] = json::array();
  s.update(done);
  EXPECT_FALSE(s.get("Pod", "default", "held"));
}

TEST_F(StoreTest, WatchersSeeChangesAfterTheWriterReturns) {
  auto& s = open();
  std::vector<std::string> seen;
  auto sub =
      s.watch({"Pod", "", "", manifest::Selector::parse("app=web")}, std::nullopt, [&](const WatchEvent& e) {
        seen.push_back(std::string(event_type_name(e.type)) + " " +
                       (*e.object)["metadata"]["name"].get<std::string>());
        // Writing from a callback is allowed: it is not inside the store's own write.
        if (e.type == EventType::kAdded && (*e.object)["metadata"]["name"] == "a")
          s.create(pod("from-callback"));
      });
  s.create(pod("a", "default", {{"app", "web"}}));
  s.create(pod("b", "default", {{"app", "db"}}));
  EXPECT_TRUE(seen.empty());  // delivered on the executor, not inside create()
  exec_.run_posted();
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED a"}));
  json b = *s.get("Pod", "default", "b");
  b["metadata"]["labels"]["app"] = "web";  // starts matching: ADDED for this watcher
  s.update(b);
  json a = *s.get("Pod", "default", "a");
  a["metadata"]["labels"]["app"] = "db";  // stops matching: DELETED for this watcher
  s.update(a);
  s.remove("Pod", "default", "b");
  exec_.run_posted();
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED a", "ADDED b", "DELETED a", "DELETED b"}));
  sub.reset();
  s.create(pod("c", "default", {{"app", "web"}}));
  exec_.run_posted();
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_EQ(s.hub().subscriber_count(), 0u);
}

TEST_F(StoreTest, WatchFromAResourceVersionReplaysAndTooOldIsGone) {
  auto o = options();
  o.watch_history = 3;
  store_ = ObjectStore::open(o);
  auto& s = *store_;
  auto listed = s.list({"Pod", "", "", {}}).resource_version;
  s.create(pod("a"));
  s.create(pod("b"));
  std::vector<std::string> seen;
  auto sub = s.watch({"Pod", "", "", {}}, listed,
                     [&](const WatchEvent& e) { seen.push_back((*e.object)["metadata"]["name"]); });
  exec_.run_posted();
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
  for (int i = 0; i < 3; ++i) s.create(pod("more" + std::to_string(i)));  // pushes a and b out of the history
  try {
    s.watch({"Pod", "", "", {}}, listed, [](const WatchEvent&) {});
    FAIL() << "a watch from before the store's history started";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.reason(), Reason::kGone);
    EXPECT_NE(std::string(e.what()).find("too old resource version"), std::string::npos);
  }
}

TEST_F(StoreTest, AWatcherThatFallsBehindGetsOneErrorAndEnds) {
  auto o = options();
  o.watch_backlog = 5;
  store_ = ObjectStore::open(o);
  auto& s = *store_;
  std::vector<WatchEvent> seen;
  auto sub = s.watch({"Pod", "", "", {}}, std::nullopt, [&](const WatchEvent& e) { seen.push_back(e); });
  for (int i = 0; i < 50; ++i) s.create(pod("p" + std::to_string(i)));
  exec_.run_posted();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].type, EventType::kError);
  EXPECT_EQ((*seen[0].object)["code"], 410);
  EXPECT_EQ((*seen[0].object)["reason"], "Expired");
  EXPECT_FALSE(sub.active());
  s.create(pod("after"));
  exec_.run_posted();
  EXPECT_EQ(seen.size(), 1u);
}

}  // namespace
}  // namespace skiff::store::testing
