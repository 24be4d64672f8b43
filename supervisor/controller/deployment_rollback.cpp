// rollback.go: the deprecated.deployment.rollback.to annotation (revision 0: the previous one) copies
// that revision's template back into the Deployment, which then rolls to it as a new revision.
#include <charconv>

#include "controller/deployment_controller.hpp"

namespace skiff::controller {

using manifest::Deployment;

std::optional<int64_t> rollback_to(const Deployment& d) {
  auto it = d.metadata.annotations.find(std::string(kRollbackToAnnotation));
  if (it == d.metadata.annotations.end() || it->second.empty()) return std::nullopt;
  int64_t v = 0;
  const std::string& s = it->second;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;  // invalid: ignored
  return v;
}

void DeploymentController::rollback(Deployment& d, RSList& rss) {
  auto [new_rs, old_rss] = all_replica_sets_and_sync_revision(d, rss, true);
  RSList all = old_rss;
  all.push_back(new_rs);
  int64_t revision = *rollback_to(d);
  if (revision == 0) {
    revision = last_revision(all);
    if (revision == 0) {
      emit_event(d, "Warning", kRollbackRevisionNotFound, "Unable to find last revision.");
      return update_deployment_and_clear_rollback_to(d);
    }
  }
  for (const auto& rs : all) {
    if (!rs) continue;
    auto v = revision_of(rs->metadata);
    if (!v || *v != revision) continue;
    // The revision number moves on at the next sync; a template equal to the current one is no rollback.
    if (rollback_to_template(d, *rs))
      emit_event(
          d, "Normal", kRollbackDone,
          "Rolled back deployment \"" + d.metadata.name + "\" to revision " + std::to_string(revision));
    return;
  }
  emit_event(d, "Warning", kRollbackRevisionNotFound, "Unable to find the revision to rollback to.");
  update_deployment_and_clear_rollback_to(d);
}

bool DeploymentController::rollback_to_template(Deployment& d, const manifest::ReplicaSet& rs) {
  bool performed = false;
  if (!equal_ignore_hash(d.spec.template_, rs.spec.template_)) {
    set_from_replica_set_template(d, rs.spec.template_);
    // The old ReplicaSet's annotations come back too, or the current ones would be copied onto it.
    set_deployment_annotations_to(d, rs);
    performed = true;
  } else {
    emit_event(
        d, "Warning", kRollbackTemplateUnchanged,
        "The rollback revision contains the same template as current deployment \"" + d.metadata.name + "\"");
  }
  update_deployment_and_clear_rollback_to(d);
  return performed;
}

void DeploymentController::update_deployment_and_clear_rollback_to(Deployment& d) {
  d.metadata.annotations.erase(std::string(kRollbackToAnnotation));
  Deployment stored = client_.update_typed(d);
  d.metadata.resource_version = stored.metadata.resource_version;
}

}  // namespace skiff::controller
