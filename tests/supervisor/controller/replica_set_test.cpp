// The ReplicaSet controller against the fake API: Kubernetes' scenarios from replica_set_test.go
// (creates in slow-start batches, expectations, deletion order, adoption/release, status).
#include <gtest/gtest.h>

#include "fake_cluster.hpp"

namespace skiff::controller::testing {
namespace {

using manifest::Pod;
using manifest::ReplicaSet;

ReplicaSet web_rs(int replicas, int min_ready = 0) {
  auto rs = parse_one<ReplicaSet>(R"(
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      containers: [{name: c, image: busybox}]
)");
  rs.spec.replicas = replicas;
  rs.spec.min_ready_seconds = min_ready;
  return rs;
}

Pod orphan_pod(const std::string& name, manifest::LabelMap labels) {
  Pod p;
  p.metadata.name = name;
  p.metadata.namespace_ = "default";
  p.metadata.labels = std::move(labels);
  manifest::Container c;
  c.name = "c";
  c.image = "busybox";
  p.spec.containers.push_back(c);
  return p;
}

TEST(ReplicaSetController, CreatesReplicasNamedAfterItWithOwnerReferenceAndStatus) {
  Cluster k;
  auto rs = k.apply(web_rs(3));
  k.settle();
  auto pods = k.list<Pod>();
  ASSERT_EQ(pods.size(), 3u);
  for (const auto& p : pods) {
    EXPECT_EQ(p->metadata.generate_name, "web-");
    ASSERT_EQ(p->metadata.name.size(), 9u) << p->metadata.name;  // web- + 5 characters
    EXPECT_EQ(p->metadata.name.find_first_not_of("bcdfghjklmnpqrstvwxz2456789", 4), std::string::npos);
    EXPECT_EQ(p->metadata.labels.at("tier"), "front");
    const auto* ref = controller_of(p->metadata);
    ASSERT_TRUE(ref);
    EXPECT_EQ(ref->kind, "ReplicaSet");
    EXPECT_EQ(ref->uid, rs.metadata.uid);
    EXPECT_TRUE(ref->block_owner_deletion.value_or(false));
  }
  EXPECT_EQ(k.client.messages("SuccessfulCreate").size(), 3u);
  auto stored = k.server.get<ReplicaSet>("default", "web");
  EXPECT_EQ(stored->status.replicas, 3);
  EXPECT_EQ(stored->status.ready_replicas, 0);
  EXPECT_EQ(stored->status.observed_generation, stored->metadata.generation);

  k.run_pods(true);
  k.settle();
  stored = k.server.get<ReplicaSet>("default", "web");
  EXPECT_EQ(stored->status.ready_replicas, 3);
  EXPECT_EQ(stored->status.available_replicas, 3);
  EXPECT_EQ(stored->status.fully_labeled_replicas, 3);
}

TEST(ReplicaSetController, SlowStartStopsAfterTheFirstFailingBatch) {
  Cluster k;
  int creates = 0;
  // The fourth create and all later ones fail (as with an exhausted quota).
  k.client.fail = [&](std::string_view op, const manifest::Object& o) -> std::optional<ClientError> {
    if (op == "create" && std::holds_alternative<Pod>(o) && ++creates > 3)
      return ClientError(ErrorReason::kInvalid, "pods is forbidden: exceeded quota");
    return std::nullopt;
  };
  k.apply(web_rs(10));
  k.deliver();
  auto r = k.rsc.sync("default/web");
  // Batches 1 and 2 succeed (3 pods); the batch of 4 is tried whole and fails; nothing more is tried.
  EXPECT_EQ(creates, 7);
  EXPECT_EQ(k.list<Pod>().size(), 3u);
  EXPECT_NE(r.error.find("exceeded quota"), std::string::npos);
  EXPECT_EQ(k.client.messages("FailedCreate").size(), 4u);
  EXPECT_EQ(k.client.messages("FailedCreate")[0], "Error creating: pods is forbidden: exceeded quota");
  // The 7 that were never created are no longer expected: the 3 created are.
  EXPECT_EQ(k.rsc.expectations().pending_creations("default/web"), 3);
  auto stored = k.server.get<ReplicaSet>("default", "web");
  ASSERT_EQ(stored->status.conditions.size(), 1u);
  EXPECT_EQ(stored->status.conditions[0].type, "ReplicaFailure");
  EXPECT_EQ(stored->status.conditions[0].reason, "FailedCreate");

  // Quota back: the condition goes once replicas are made.
  k.client.fail = nullptr;
  k.settle();
  EXPECT_EQ(k.list<Pod>().size(), 10u);
  EXPECT_TRUE(k.server.get<ReplicaSet>("default", "web")->status.conditions.empty());
}

TEST(ReplicaSetController, ExpectationsKeepASyncFromCreatingTwice) {
  Cluster k;
  k.apply(web_rs(3));
  k.deliver();
  ASSERT_TRUE(k.rsc.sync("default/web").ok());
  ASSERT_EQ(k.list<Pod>().size(), 3u);
  // The cache has not seen the pods yet: a second sync must not create three more.
  ASSERT_TRUE(k.rsc.sync("default/web").ok());
  EXPECT_EQ(k.list<Pod>().size(), 3u);
  EXPECT_FALSE(k.rsc.expectations().satisfied("default/web", k.clock.steady()));
  k.deliver();
  EXPECT_TRUE(k.rsc.expectations().satisfied("default/web", k.clock.steady()));
  k.settle();
  EXPECT_EQ(k.list<Pod>().size(), 3u);
}

TEST(ReplicaSetController, LostEventsExpireAfterFiveMinutes) {
  Cluster k;
  k.apply(web_rs(2));
  k.deliver();
  ASSERT_TRUE(k.rsc.sync("default/web").ok());
  // The watch events of the two creates are lost, and the pods die meanwhile.
  k.client.changes.clear();
  for (const auto& p : k.list<Pod>()) k.server.erase("Pod", "default", p->metadata.name);
  k.rsc.sync("default/web");
  EXPECT_EQ(k.list<Pod>().size(), 0u);
  k.clock.advance(std::chrono::minutes(5) + std::chrono::seconds(1));
  ASSERT_TRUE(k.rsc.sync("default/web").ok());
  EXPECT_EQ(k.list<Pod>().size(), 2u);
}

TEST(ReplicaSetController, ScaleDownDeletesInActivePodsOrder) {
  Cluster k;
  k.apply(web_rs(5));
  k.settle();
  auto pods = k.list<Pod>();
  ASSERT_EQ(pods.size(), 5u);
  std::vector<std::string> names;
  for (const auto& p : pods) names.push_back(p->metadata.name);
  // names[0] stays Pending; [1] runs not ready; [2], [3], [4] ready, [2] with restarts, [4] ready last.
  k.run_pods(false, {names[1]});
  k.run_pods(true, {names[2], names[3]});
  k.clock.advance(std::chrono::hours(2));
  k.run_pods(true, {names[4]});
  {
    Pod p = *k.server.get<Pod>("default", names[2]);
    manifest::ContainerStatus cs;
    cs.name = "c";
    cs.restart_count = 4;
    p.status.container_statuses.push_back(cs);
    p.metadata.resource_version.clear();
    k.client.update_status_typed(p, false);
  }
  k.settle();
  auto delete_order = [&](int to) {
    ReplicaSet rs = *k.server.get<ReplicaSet>("default", "web");
    rs.spec.replicas = to;
    k.apply(rs);
    k.settle();
  };
  std::vector<std::string> gone;
  auto deleted_since = [&](size_t before) {
    std::vector<std::string> out;
    for (size_t i = before; i < k.client.calls.size(); ++i)
      if (k.client.calls[i].starts_with("delete Pod default/")) out.push_back(k.client.calls[i].substr(19));
    return out;
  };
  size_t mark = k.client.calls.size();
  delete_order(4);
  EXPECT_EQ(deleted_since(mark), std::vector<std::string>{names[0]}) << "pending first";
  mark = k.client.calls.size();
  delete_order(3);
  EXPECT_EQ(deleted_since(mark), std::vector<std::string>{names[1]}) << "then not ready";
  mark = k.client.calls.size();
  delete_order(2);
  EXPECT_EQ(deleted_since(mark), std::vector<std::string>{names[4]}) << "then ready for the shortest time";
  mark = k.client.calls.size();
  delete_order(1);
  EXPECT_EQ(deleted_since(mark), std::vector<std::string>{names[2]}) << "then more restarts";
  EXPECT_EQ(k.list<Pod>().size(), 1u);
  EXPECT_EQ(k.client.messages("SuccessfulDelete").back(), "Deleted pod: " + names[2]);
}

TEST(ReplicaSetController, DeletionCostAnnotationComesBeforeAge) {
  Cluster k;
  k.apply(web_rs(2));
  k.settle();
  k.run_pods(true);
  k.settle();
  auto pods = k.list<Pod>();
  Pod cheap = *pods[1];
  cheap.metadata.annotations["controller.kubernetes.io/pod-deletion-cost"] = "-5";
  k.apply(cheap);
  ReplicaSet rs = *k.server.get<ReplicaSet>("default", "web");
  rs.spec.replicas = 1;
  k.apply(rs);
  k.settle();
  auto left = k.list<Pod>();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0]->metadata.name, pods[0]->metadata.name);
}

TEST(ReplicaSetController, AdoptsMatchingOrphansAndReleasesPodsThatStopMatching) {
  Cluster k;
  k.apply(orphan_pod("stray", {{"app", "web"}, {"tier", "front"}}));
  k.apply(orphan_pod("other", {{"app", "db"}}));
  auto rs = k.apply(web_rs(2));
  k.settle();
  auto stray = k.server.get<Pod>("default", "stray");
  ASSERT_TRUE(controller_of(stray->metadata));
  EXPECT_EQ(controller_of(stray->metadata)->uid, rs.metadata.uid);
  EXPECT_FALSE(controller_of(k.server.get<Pod>("default", "other")->metadata));
  EXPECT_EQ(k.list<Pod>().size(), 3u);  // the stray one and one new

  // Relabelled out of the selector: released, and replaced.
  Pod p = *k.server.get<Pod>("default", "stray");
  p.metadata.labels["app"] = "debug";
  k.apply(p);
  k.settle();
  EXPECT_FALSE(controller_of(k.server.get<Pod>("default", "stray")->metadata));
  size_t owned = 0;
  for (const auto& x : k.list<Pod>())
    if (controller_of(x->metadata)) ++owned;
  EXPECT_EQ(owned, 2u);
}

TEST(ReplicaSetController, TerminatingPodsAreReplacedAtOnce) {
  Cluster k;
  k.client.graceful_pods = true;
  k.apply(web_rs(2));
  k.settle();
  auto victim = k.list<Pod>()[0]->metadata.name;
  k.client.remove("Pod", "default", victim, {});
  k.settle();
  // The terminating pod is still there (its grace period) and a replacement already exists.
  EXPECT_EQ(k.list<Pod>().size(), 3u);
  EXPECT_EQ(k.active_pods(), 2u);
  EXPECT_EQ(k.server.get<ReplicaSet>("default", "web")->status.replicas, 2);
  k.client.finish_pod_deletion("default", victim);
  k.settle();
  EXPECT_EQ(k.list<Pod>().size(), 2u);
  EXPECT_EQ(k.rsc.expectations().pending_deletions("default/web"), 0);
}

TEST(ReplicaSetController, MinReadySecondsMakesPodsAvailableLaterAndAsksForAResync) {
  Cluster k;
  k.apply(web_rs(2, 30));
  k.settle();
  k.run_pods(true);
  k.deliver();
  auto r = k.rsc.sync("default/web");
  ASSERT_TRUE(r.ok());
  auto rs = k.server.get<ReplicaSet>("default", "web");
  EXPECT_EQ(rs->status.ready_replicas, 2);
  EXPECT_EQ(rs->status.available_replicas, 0);
  ASSERT_TRUE(r.requeue_after);
  EXPECT_EQ(*r.requeue_after, std::chrono::seconds(30));
  k.advance(std::chrono::seconds(31));
  EXPECT_EQ(k.server.get<ReplicaSet>("default", "web")->status.available_replicas, 2);
}

TEST(ReplicaSetController, ABeingDeletedReplicaSetNeitherCreatesNorDeletes) {
  Cluster k;
  ReplicaSet rs = web_rs(2);
  rs.metadata.finalizers.push_back("foregroundDeletion");
  k.apply(rs);
  k.settle();
  ASSERT_EQ(k.list<Pod>().size(), 2u);
  k.client.remove("ReplicaSet", "default", "web", {});
  k.deliver();
  for (const auto& p : k.list<Pod>()) k.client.remove("Pod", "default", p->metadata.name, {});
  k.deliver();
  ASSERT_TRUE(k.rsc.sync("default/web").ok());
  EXPECT_EQ(k.list<Pod>().size(), 0u);
}

}  // namespace
}  // namespace skiff::controller::testing
