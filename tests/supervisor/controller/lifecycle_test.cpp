// Namespace lifecycle and garbage collection against the fake API, and the small helpers under them.
#include <gtest/gtest.h>

#include "controller/active_pods.hpp"
#include "controller/expectations.hpp"
#include "fake_cluster.hpp"

namespace skiff::controller::testing {
namespace {

using manifest::ConfigMap;
using manifest::Deployment;
using manifest::Namespace;
using manifest::Pod;
using manifest::ReplicaSet;

Deployment web_in(const std::string& ns, int replicas) {
  auto d = parse_one<Deployment>(R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: busybox}]
)");
  d.metadata.namespace_ = ns;
  d.spec.replicas = replicas;
  return d;
}

Namespace ns_named(const std::string& name) {
  Namespace ns;
  ns.metadata.name = name;
  ns.spec.finalizers = {"kubernetes"};  // as the API server sets it on create
  return ns;
}

TEST(GarbageCollector, DeletingADeploymentTakesItsReplicaSetsAndPodsInTheBackground) {
  Cluster k;
  k.apply(web_in("default", 2));
  k.settle();
  ASSERT_EQ(k.list<ReplicaSet>().size(), 1u);
  ASSERT_EQ(k.list<Pod>().size(), 2u);
  k.client.remove("Deployment", "default", "web", {});
  k.settle();
  EXPECT_TRUE(k.list<ReplicaSet>().empty());
  EXPECT_TRUE(k.list<Pod>().empty());
}

TEST(GarbageCollector, OrphanPropagationKeepsTheDependentsAndDropsTheirReference) {
  Cluster k;
  k.apply(web_in("default", 2));
  k.settle();
  k.client.remove("Deployment", "default", "web", RemoveOptions{std::nullopt, "Orphan"});
  k.settle();
  EXPECT_FALSE(k.server.get<Deployment>("default", "web"));
  auto rss = k.list<ReplicaSet>();
  ASSERT_EQ(rss.size(), 1u);
  EXPECT_TRUE(rss[0]->metadata.owner_references.empty());
  EXPECT_EQ(k.list<Pod>().size(), 2u) << "the ReplicaSet still owns its pods";
}

TEST(GarbageCollector, ForegroundDeletionWaitsForTheDependents) {
  Cluster k;
  k.client.graceful_pods = true;
  k.apply(web_in("default", 2));
  k.settle();
  k.client.remove("Deployment", "default", "web", RemoveOptions{std::nullopt, "Foreground"});
  k.settle();
  // The pods terminate; until they are gone the ReplicaSet, and so the Deployment, wait.
  auto d = k.server.get<Deployment>("default", "web");
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->metadata.deletion_timestamp);
  auto rs = k.list<ReplicaSet>();
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_TRUE(rs[0]->metadata.deletion_timestamp);
  for (const auto& p : k.list<Pod>()) {
    EXPECT_TRUE(p->metadata.deletion_timestamp);
    k.client.finish_pod_deletion("default", p->metadata.name);
  }
  k.settle();
  EXPECT_TRUE(k.list<ReplicaSet>().empty());
  EXPECT_FALSE(k.server.get<Deployment>("default", "web"));
}

TEST(GarbageCollector, ADependentWithALiveOwnerOnlyLosesItsDanglingReference) {
  Cluster k;
  ConfigMap owner;
  owner.metadata.name = "owner";
  owner.metadata.namespace_ = "default";
  auto live = k.apply(owner);
  ConfigMap dep;
  dep.metadata.name = "dep";
  dep.metadata.namespace_ = "default";
  dep.metadata.owner_references.push_back(
      {"v1", "ConfigMap", "owner", live.metadata.uid, std::nullopt, std::nullopt});
  dep.metadata.owner_references.push_back(
      {"v1", "ConfigMap", "gone", "uid-nobody", std::nullopt, std::nullopt});
  k.apply(dep);
  k.settle();
  auto d = k.server.get<ConfigMap>("default", "dep");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->metadata.owner_references.size(), 1u);
  EXPECT_EQ(d->metadata.owner_references[0].name, "owner");
  // An owner recreated under the same name is another object: its old dependents go.
  k.client.remove("ConfigMap", "default", "owner", {});
  k.apply(owner);
  k.settle();
  EXPECT_FALSE(k.server.get<ConfigMap>("default", "dep"));
}

TEST(NamespaceLifecycle, DeletingANamespaceDeletesItsContentThenItself) {
  Cluster k;
  k.client.graceful_pods = true;
  k.apply(ns_named("shop"));
  k.apply(web_in("shop", 2));
  ConfigMap cm;
  cm.metadata.name = "greeting";
  cm.metadata.namespace_ = "shop";
  k.apply(cm);
  k.settle();
  ASSERT_EQ(k.server.get<Namespace>("", "shop")->status.phase, "Active");
  ASSERT_EQ(k.list<Pod>("shop").size(), 2u);
  k.client.remove("Namespace", "", "shop", {});
  k.settle();
  auto ns = k.server.get<Namespace>("", "shop");
  ASSERT_TRUE(ns) << "the pods are still terminating";
  EXPECT_EQ(ns->status.phase, "Terminating");
  const manifest::Condition* remaining = nullptr;
  for (const auto& c : ns->status.conditions)
    if (c.type == "NamespaceContentRemaining") remaining = &c;
  ASSERT_TRUE(remaining);
  EXPECT_EQ(remaining->reason, "SomeResourcesRemain");
  EXPECT_EQ(remaining->message, "Some resources are remaining: pods. has 2 resource instances");
  EXPECT_FALSE(k.server.get<ConfigMap>("shop", "greeting"));
  EXPECT_FALSE(k.server.get<Deployment>("shop", "web"));
  for (const auto& p : k.list<Pod>("shop")) k.client.finish_pod_deletion("shop", p->metadata.name);
  k.settle();
  EXPECT_FALSE(k.server.get<Namespace>("", "shop"));
  // The default namespace and its content were never touched.
  EXPECT_TRUE(k.server.get<Namespace>("", "default"));
}

TEST(NamespaceLifecycle, AnAbsentNamespaceNeverSeenGoingIsNoReasonToDeleteAnything) {
  Cluster k;
  ConfigMap cm;
  cm.metadata.name = "keep";
  cm.metadata.namespace_ = "elsewhere";
  k.server.put(cm);
  ASSERT_TRUE(k.nsc.sync("/elsewhere").ok());
  EXPECT_TRUE(k.server.get<ConfigMap>("elsewhere", "keep"));
}

TEST(ControllerHelpers, TimesRoundTripAtSecondPrecision) {
  auto t = parse_time(manifest::Time{"2026-12-01T21:34:30Z"});
  ASSERT_TRUE(t);
  EXPECT_EQ(to_time(*t).rfc3339, "2026-12-01T21:34:30Z");
  auto frac = parse_time(manifest::Time{"2026-12-01T21:34:30.987654321Z"});
  ASSERT_TRUE(frac);
  EXPECT_EQ(*frac - *t, std::chrono::nanoseconds(987654321));
  EXPECT_EQ(to_time(*frac).rfc3339, "2026-12-01T21:34:30Z");
  auto offset = parse_time(manifest::Time{"2026-12-01T23:34:30+02:00"});
  ASSERT_TRUE(offset);
  EXPECT_EQ(*offset, *t);
  EXPECT_FALSE(parse_time(manifest::Time{""}));
  EXPECT_FALSE(parse_time(manifest::Time{"yesterday"}));
  EXPECT_FALSE(parse_time(manifest::Time{"2026-13-01T00:00:00Z"}));
}

TEST(ControllerHelpers, NewerPodsGoFirstInLogarithmicAgeBuckets) {
  WallTime now = *parse_time(manifest::Time{"2026-12-01T12:00:00Z"});
  auto pod = [&](const std::string& uid, std::chrono::seconds age) {
    Pod p;
    p.metadata.uid = uid;
    p.metadata.creation_timestamp = to_time(now - age);
    p.spec.node_name = "node";
    p.status.phase = "Running";
    return p;
  };
  // 100 s and 110 s old fall in the same log2 bucket of nanoseconds: ordered by uid instead.
  EXPECT_TRUE(
      delete_before(pod("b", std::chrono::seconds(100)), 0, pod("a", std::chrono::seconds(1000)), 0, now));
  EXPECT_TRUE(
      delete_before(pod("a", std::chrono::seconds(110)), 0, pod("b", std::chrono::seconds(100)), 0, now));
  EXPECT_FALSE(
      delete_before(pod("b", std::chrono::seconds(110)), 0, pod("a", std::chrono::seconds(100)), 0, now));
  // Unscheduled before scheduled, whatever the age.
  Pod unscheduled = pod("z", std::chrono::seconds(5000));
  unscheduled.spec.node_name.clear();
  EXPECT_TRUE(delete_before(unscheduled, 0, pod("a", std::chrono::seconds(1)), 0, now));
  // A pod doubled up on its node (higher rank) before one that is not.
  EXPECT_TRUE(
      delete_before(pod("a", std::chrono::seconds(1000)), 3, pod("b", std::chrono::seconds(1)), 1, now));
}

TEST(ControllerHelpers, ExpectationsCountDeletionsOncePerPod) {
  Expectations e;
  auto t = std::chrono::steady_clock::time_point(std::chrono::hours(1));
  e.expect_deletions("ns/rs", {"ns/a", "ns/b"}, t);
  EXPECT_FALSE(e.satisfied("ns/rs", t));
  e.deletion_observed("ns/rs", "ns/a");
  e.deletion_observed("ns/rs", "ns/a");  // seen terminating, then gone: once
  e.deletion_observed("ns/rs", "ns/zzz");
  EXPECT_EQ(e.pending_deletions("ns/rs"), 1);
  e.deletion_observed("ns/rs", "ns/b");
  EXPECT_TRUE(e.satisfied("ns/rs", t));
  EXPECT_TRUE(e.satisfied("ns/unknown", t));
}

}  // namespace
}  // namespace skiff::controller::testing
