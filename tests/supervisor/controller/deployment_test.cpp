// The Deployment controller against the fake API: a ReplicaSet per template, scaling without a rollout,
// rolling updates within maxSurge/maxUnavailable, proportional scaling, Recreate, progress deadline,
// pause, rollback, revision history, hash collisions.
#include <gtest/gtest.h>

#include "fake_cluster.hpp"
#include "manifest/hash.hpp"

namespace skiff::controller::testing {
namespace {

using manifest::Deployment;
using manifest::Pod;
using manifest::ReplicaSet;

Deployment web(int replicas, const std::string& strategy = "maxSurge: 1\n      maxUnavailable: 1") {
  std::string yaml = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: )" + std::to_string(replicas) +
                     R"(
  selector: {matchLabels: {app: web}}
  strategy:
    rollingUpdate:
      )" + strategy + R"(
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: "busybox:1"}]
)";
  return parse_one<Deployment>(yaml);
}

Deployment stored(const Cluster& k) {
  return *k.server.get<Deployment>("default", "web");
}

void set_image(Cluster& k, const std::string& image) {
  Deployment d = stored(k);
  d.spec.template_.spec.containers[0].image = image;
  k.apply(d);
}

void set_replicas(Cluster& k, int n) {
  Deployment d = stored(k);
  d.spec.replicas = n;
  k.apply(d);
}

Ptr<ReplicaSet> rs_with_image(const Cluster& k, const std::string& image) {
  for (const auto& rs : k.list<ReplicaSet>())
    if (rs->spec.template_.spec.containers[0].image == image) return rs;
  return nullptr;
}

const manifest::Condition* condition(const Deployment& d, std::string_view type) {
  return deployment_condition(d.status, type);
}

// Drives a rollout the way the kubelet would: every running pod becomes ready, until nothing changes.
void roll(Cluster& k, int max_rounds = 50) {
  for (int i = 0; i < max_rounds; ++i) {
    k.settle();
    size_t before = k.client.calls.size();
    k.run_pods(true);
    k.settle();
    if (k.client.calls.size() == before) return;
  }
  ADD_FAILURE() << "rollout did not finish";
}

TEST(DeploymentController, MakesAReplicaSetPerTemplateNamedByItsHash) {
  Cluster k;
  auto d = k.apply(web(3));
  roll(k);
  auto rss = k.list<ReplicaSet>();
  ASSERT_EQ(rss.size(), 1u);
  const auto& rs = *rss[0];
  std::string hash = manifest::pod_template_hash(d.spec.template_, std::nullopt);
  EXPECT_EQ(rs.metadata.name, "web-" + hash);
  EXPECT_EQ(rs.metadata.labels.at("pod-template-hash"), hash);
  EXPECT_EQ(rs.spec.selector->match_labels.at("pod-template-hash"), hash);
  EXPECT_EQ(rs.spec.template_.metadata.labels.at("pod-template-hash"), hash);
  EXPECT_EQ(rs.metadata.annotations.at("deployment.kubernetes.io/revision"), "1");
  EXPECT_EQ(rs.metadata.annotations.at("deployment.kubernetes.io/desired-replicas"), "3");
  EXPECT_EQ(rs.metadata.annotations.at("deployment.kubernetes.io/max-replicas"), "4");
  ASSERT_TRUE(controller_of(rs.metadata));
  EXPECT_EQ(controller_of(rs.metadata)->uid, d.metadata.uid);
  EXPECT_EQ(controller_of(rs.metadata)->kind, "Deployment");
  for (const auto& p : k.list<Pod>()) EXPECT_EQ(p->metadata.labels.at("pod-template-hash"), hash);

  auto s = stored(k);
  EXPECT_EQ(s.metadata.annotations.at("deployment.kubernetes.io/revision"), "1");
  EXPECT_EQ(s.status.replicas, 3);
  EXPECT_EQ(s.status.updated_replicas, 3);
  EXPECT_EQ(s.status.ready_replicas, 3);
  EXPECT_EQ(s.status.available_replicas, 3);
  EXPECT_EQ(s.status.observed_generation, s.metadata.generation);
  ASSERT_TRUE(condition(s, "Available"));
  EXPECT_EQ(condition(s, "Available")->status, "True");
  EXPECT_EQ(condition(s, "Available")->reason, "MinimumReplicasAvailable");
  ASSERT_TRUE(condition(s, "Progressing"));
  EXPECT_EQ(condition(s, "Progressing")->reason, "NewReplicaSetAvailable");
  EXPECT_EQ(condition(s, "Progressing")->message,
            "ReplicaSet \"web-" + hash + "\" has successfully progressed.");
  auto scaled = k.client.messages("ScalingReplicaSet");
  ASSERT_FALSE(scaled.empty());
  // maxSurge 1 of 3: the new ReplicaSet may start at all 3 (no old pods to count).
  EXPECT_EQ(scaled[0], "Scaled up replica set web-" + hash + " from 0 to 3");
  EXPECT_TRUE(k.errors.empty()) << k.errors[0];
}

TEST(DeploymentController, ScalingIsNoRollout) {
  Cluster k;
  k.apply(web(3));
  roll(k);
  auto rs = k.list<ReplicaSet>()[0]->metadata.name;
  set_replicas(k, 5);
  roll(k);
  ASSERT_EQ(k.list<ReplicaSet>().size(), 1u);
  auto now = k.list<ReplicaSet>()[0];
  EXPECT_EQ(now->metadata.name, rs);
  EXPECT_EQ(*now->spec.replicas, 5);
  EXPECT_EQ(now->metadata.annotations.at("deployment.kubernetes.io/desired-replicas"), "5");
  EXPECT_EQ(now->metadata.annotations.at("deployment.kubernetes.io/revision"), "1");
  EXPECT_EQ(k.client.messages("ScalingReplicaSet").back(), "Scaled up replica set " + rs + " from 3 to 5");
  EXPECT_EQ(k.active_pods(), 5u);
  set_replicas(k, 2);
  roll(k);
  EXPECT_EQ(k.active_pods(), 2u);
  EXPECT_EQ(k.client.messages("ScalingReplicaSet").back(), "Scaled down replica set " + rs + " from 5 to 2");
  EXPECT_EQ(stored(k).status.available_replicas, 2);
}

TEST(DeploymentController, RollingUpdateStaysWithinSurgeAndUnavailable) {
  Cluster k;
  k.apply(web(6));
  roll(k);
  int max_total = 0, min_available = 100;
  k.after_sync = [&] {
    int total = 0, available = 0;
    for (const auto& p : k.list<Pod>()) {
      if (!is_pod_active(*p)) continue;
      ++total;
      available += is_pod_ready(*p);
    }
    max_total = std::max(max_total, total);
    min_available = std::min(min_available, available);
  };
  set_image(k, "busybox:2");
  roll(k);
  EXPECT_LE(max_total, 7) << "more than replicas + maxSurge pods at once";
  EXPECT_GE(min_available, 5) << "fewer than replicas - maxUnavailable available";
  EXPECT_EQ(max_total, 7) << "the surge was never used";
  auto old_rs = rs_with_image(k, "busybox:1"), new_rs = rs_with_image(k, "busybox:2");
  ASSERT_TRUE(old_rs && new_rs);
  EXPECT_EQ(*old_rs->spec.replicas, 0);
  EXPECT_EQ(*new_rs->spec.replicas, 6);
  EXPECT_EQ(new_rs->metadata.annotations.at("deployment.kubernetes.io/revision"), "2");
  EXPECT_EQ(old_rs->metadata.annotations.at("deployment.kubernetes.io/revision"), "1");
  auto s = stored(k);
  EXPECT_EQ(s.metadata.annotations.at("deployment.kubernetes.io/revision"), "2");
  EXPECT_EQ(s.status.updated_replicas, 6);
  EXPECT_EQ(s.status.replicas, 6);
  EXPECT_EQ(condition(s, "Progressing")->reason, "NewReplicaSetAvailable");
  for (const auto& p : k.list<Pod>()) EXPECT_EQ(p->spec.containers[0].image, "busybox:2");
}

TEST(DeploymentController, PercentFenceposts) {
  // 25% of 4: surge rounds up to 1, unavailable rounds down to 1; 1% of 2: surge 1, unavailable 0;
  // 0% and 0% resolved: unavailable becomes 1.
  EXPECT_EQ(resolve_fenceposts(manifest::IntOrString::from_string("25%"),
                               manifest::IntOrString::from_string("25%"), 4),
            std::make_pair(1, 1));
  EXPECT_EQ(resolve_fenceposts(manifest::IntOrString::from_string("1%"),
                               manifest::IntOrString::from_string("1%"), 2),
            std::make_pair(1, 0));
  EXPECT_EQ(
      resolve_fenceposts(manifest::IntOrString::from_int(0), manifest::IntOrString::from_string("1%"), 2),
      std::make_pair(0, 1));
  EXPECT_EQ(resolve_fenceposts(manifest::IntOrString::from_string("50%"),
                               manifest::IntOrString::from_string("30%"), 10),
            std::make_pair(5, 3));
  EXPECT_THROW(resolve_fenceposts(manifest::IntOrString::from_string("x"), std::nullopt, 3), Error);
  auto d = web(0);
  EXPECT_EQ(max_unavailable(d), 0) << "no unavailability budget for zero replicas";
  d = web(1, "maxSurge: 0\n      maxUnavailable: 5");
  EXPECT_EQ(max_unavailable(d), 1) << "capped at replicas";
}

TEST(DeploymentController, ScalingDuringARolloutIsProportional) {
  Cluster k;
  k.apply(web(10, "maxSurge: 3\n      maxUnavailable: 2"));
  roll(k);
  set_image(k, "busybox:2");
  k.settle();  // the new pods never become ready
  auto old_rs = rs_with_image(k, "busybox:1"), new_rs = rs_with_image(k, "busybox:2");
  ASSERT_TRUE(old_rs && new_rs);
  ASSERT_EQ(*old_rs->spec.replicas, 8);
  ASSERT_EQ(*new_rs->spec.replicas, 5);
  set_replicas(k, 20);
  k.settle();
  old_rs = rs_with_image(k, "busybox:1");
  new_rs = rs_with_image(k, "busybox:2");
  // 23 allowed (20 + surge 3), 10 to add: old gets round(8*23/13)-8 = 6, new round(5*23/13)-5 = 4.
  EXPECT_EQ(*old_rs->spec.replicas, 14);
  EXPECT_EQ(*new_rs->spec.replicas, 9);
  EXPECT_EQ(old_rs->metadata.annotations.at("deployment.kubernetes.io/desired-replicas"), "20");
  EXPECT_EQ(new_rs->metadata.annotations.at("deployment.kubernetes.io/max-replicas"), "23");
}

TEST(DeploymentController, BrokenRolloutStallsTimesOutAndRollsBack) {
  Cluster k;
  Deployment d = web(4);
  d.spec.progress_deadline_seconds = 60;
  k.apply(d);
  roll(k);
  set_image(k, "busybox:broken");
  for (int i = 0; i < 5; ++i) {
    k.settle();
    k.run_pods(true);  // only old-image pods become ready: the broken ones never do
    for (const auto& p : k.list<Pod>())
      if (p->spec.containers[0].image == "busybox:broken") k.run_pods(false, {p->metadata.name});
    k.settle();
  }
  auto old_rs = rs_with_image(k, "busybox:1"), bad = rs_with_image(k, "busybox:broken");
  ASSERT_TRUE(old_rs && bad);
  // Stalled at maxUnavailable: 3 old (4 - 1) and 2 new (the surge plus the one unavailable).
  EXPECT_EQ(*old_rs->spec.replicas, 3);
  EXPECT_EQ(*bad->spec.replicas, 2);
  EXPECT_EQ(stored(k).status.available_replicas, 3);
  EXPECT_NE(condition(stored(k), "Progressing")->reason, "ProgressDeadlineExceeded");
  // The sync that saw no progress asked to be woken at the deadline.
  auto r = k.dc.sync("default/web");
  ASSERT_TRUE(r.requeue_after);
  EXPECT_LE(*r.requeue_after, std::chrono::seconds(61));
  k.advance(std::chrono::seconds(62));
  auto s = stored(k);
  EXPECT_EQ(condition(s, "Progressing")->status, "False");
  EXPECT_EQ(condition(s, "Progressing")->reason, "ProgressDeadlineExceeded");
  EXPECT_EQ(condition(s, "Progressing")->message,
            "ReplicaSet \"" + bad->metadata.name + "\" has timed out progressing.");

  // rollout undo (the controller's annotation form): back to revision 1, as revision 3.
  d = stored(k);
  d.metadata.annotations["deprecated.deployment.rollback.to"] = "0";
  k.apply(d);
  roll(k);
  s = stored(k);
  EXPECT_EQ(s.spec.template_.spec.containers[0].image, "busybox:1");
  EXPECT_FALSE(s.metadata.annotations.count("deprecated.deployment.rollback.to"));
  old_rs = rs_with_image(k, "busybox:1");
  EXPECT_EQ(old_rs->metadata.annotations.at("deployment.kubernetes.io/revision"), "3");
  EXPECT_EQ(old_rs->metadata.annotations.at("deployment.kubernetes.io/revision-history"), "1");
  EXPECT_EQ(*old_rs->spec.replicas, 4);
  EXPECT_EQ(*rs_with_image(k, "busybox:broken")->spec.replicas, 0);
  EXPECT_EQ(k.client.messages("DeploymentRollback").back(), "Rolled back deployment \"web\" to revision 1");
  EXPECT_EQ(condition(s, "Progressing")->reason, "NewReplicaSetAvailable");
}

TEST(DeploymentController, RecreateRemovesEveryOldPodBeforeANewOne) {
  Cluster k;
  k.client.graceful_pods = true;
  Deployment d = web(3);
  d.spec.strategy.type = "Recreate";
  d.spec.strategy.rolling_update.reset();
  k.apply(d);
  roll(k);
  set_image(k, "busybox:2");
  k.settle();
  // Old ReplicaSet at zero, its pods terminating, no new ReplicaSet yet.
  EXPECT_EQ(*rs_with_image(k, "busybox:1")->spec.replicas, 0);
  EXPECT_FALSE(rs_with_image(k, "busybox:2"));
  auto pods = k.list<Pod>();
  EXPECT_EQ(pods.size(), 3u);
  for (size_t i = 0; i + 1 < pods.size(); ++i)
    k.client.finish_pod_deletion("default", pods[i]->metadata.name);
  k.settle();
  EXPECT_FALSE(rs_with_image(k, "busybox:2")) << "one old pod is still terminating";
  k.client.finish_pod_deletion("default", pods.back()->metadata.name);
  roll(k);
  ASSERT_TRUE(rs_with_image(k, "busybox:2"));
  EXPECT_EQ(*rs_with_image(k, "busybox:2")->spec.replicas, 3);
  EXPECT_EQ(stored(k).status.available_replicas, 3);
}

TEST(DeploymentController, RevisionHistoryLimitPrunesOldReplicaSets) {
  Cluster k;
  Deployment d = web(1);
  d.spec.revision_history_limit = 1;
  k.apply(d);
  roll(k);
  for (const char* image : {"busybox:2", "busybox:3", "busybox:4"}) {
    set_image(k, image);
    roll(k);
  }
  auto rss = k.list<ReplicaSet>();
  ASSERT_EQ(rss.size(), 2u);
  EXPECT_TRUE(rs_with_image(k, "busybox:4"));
  EXPECT_TRUE(rs_with_image(k, "busybox:3"));
  EXPECT_EQ(stored(k).metadata.annotations.at("deployment.kubernetes.io/revision"), "4");
}

TEST(DeploymentController, PausedDeploymentScalesButDoesNotRoll) {
  Cluster k;
  Deployment d = web(2);
  d.spec.progress_deadline_seconds = 600;
  k.apply(d);
  roll(k);
  d = stored(k);
  d.spec.paused = true;
  d.spec.template_.spec.containers[0].image = "busybox:2";
  d.spec.replicas = 3;
  k.apply(d);
  roll(k);
  EXPECT_FALSE(rs_with_image(k, "busybox:2"));
  EXPECT_EQ(*rs_with_image(k, "busybox:1")->spec.replicas, 3);
  auto s = stored(k);
  EXPECT_EQ(condition(s, "Progressing")->status, "Unknown");
  EXPECT_EQ(condition(s, "Progressing")->reason, "DeploymentPaused");
  EXPECT_EQ(condition(s, "Progressing")->message, "Deployment is paused");
  d = stored(k);
  d.spec.paused = false;
  k.apply(d);
  roll(k);
  ASSERT_TRUE(rs_with_image(k, "busybox:2"));
  EXPECT_EQ(*rs_with_image(k, "busybox:2")->spec.replicas, 3);
  EXPECT_EQ(condition(stored(k), "Progressing")->reason, "NewReplicaSetAvailable");
}

TEST(DeploymentController, HashCollisionBumpsCollisionCount) {
  Cluster k;
  Deployment d = web(1);
  std::string hash = manifest::pod_template_hash(d.spec.template_, std::nullopt);
  // Someone else's ReplicaSet has the name the Deployment's would get (and a selector it does not match).
  ReplicaSet squatter;
  squatter.metadata.name = "web-" + hash;
  squatter.metadata.namespace_ = "default";
  squatter.metadata.labels = {{"app", "other"}};
  squatter.spec.replicas = 0;
  squatter.spec.selector = manifest::LabelSelector{{{"app", "other"}}, {}};
  squatter.spec.template_.metadata.labels = {{"app", "other"}};
  squatter.spec.template_.spec.containers = d.spec.template_.spec.containers;
  k.apply(squatter);
  k.apply(d);
  roll(k);
  auto s = stored(k);
  ASSERT_TRUE(s.status.collision_count);
  EXPECT_EQ(*s.status.collision_count, 1);
  std::string next = manifest::pod_template_hash(d.spec.template_, 1);
  EXPECT_NE(next, hash);
  ASSERT_TRUE(k.server.get<ReplicaSet>("default", "web-" + next));
  EXPECT_EQ(s.status.available_replicas, 1);
  EXPECT_FALSE(k.errors.empty()) << "the colliding create is an error the queue retries";
}

TEST(DeploymentController, OrphanReplicaSetMatchingTheSelectorIsAdopted) {
  Cluster k;
  Deployment d = web(2);
  ReplicaSet orphan;
  orphan.metadata.name = "legacy";
  orphan.metadata.namespace_ = "default";
  orphan.metadata.labels = {{"app", "web"}};
  orphan.spec.replicas = 2;
  orphan.spec.selector = manifest::LabelSelector{{{"app", "web"}, {"v", "old"}}, {}};
  orphan.spec.template_.metadata.labels = {{"app", "web"}, {"v", "old"}};
  orphan.spec.template_.spec.containers = d.spec.template_.spec.containers;
  k.apply(orphan);
  k.settle();
  auto dep = k.apply(d);
  roll(k);
  auto legacy = k.server.get<ReplicaSet>("default", "legacy");
  ASSERT_TRUE(controller_of(legacy->metadata));
  EXPECT_EQ(controller_of(legacy->metadata)->uid, dep.metadata.uid);
  // Adopted as an old revision: rolled away from.
  EXPECT_EQ(*legacy->spec.replicas, 0);
  EXPECT_EQ(stored(k).status.available_replicas, 2);
}

}  // namespace
}  // namespace skiff::controller::testing
