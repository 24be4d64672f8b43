#include "manifest/qos.hpp"

namespace skiff::manifest {

std::string pod_qos_class(const PodSpec& spec) {
  ResourceList requests, limits;
  bool guaranteed = true;
  auto add = [](ResourceList& sum, const std::string& name, const Quantity& q) {
    auto it = sum.find(name);
    if (it == sum.end())
      sum[name] = q;
    else
      it->second = Quantity::from_milli(it->second.milli_value() + q.milli_value());
  };
  for (const auto* list : {&spec.init_containers, &spec.containers}) {
    for (const Container& c : *list) {
      for (const auto& [name, q] : c.resources.requests)
        if ((name == "cpu" || name == "memory") && !q.is_zero()) add(requests, name, q);
      int limited = 0;
      for (const auto& [name, q] : c.resources.limits) {
        if ((name == "cpu" || name == "memory") && !q.is_zero()) {
          add(limits, name, q);
          ++limited;
        }
      }
      if (limited < 2) guaranteed = false;
    }
  }
  if (requests.empty() && limits.empty()) return "BestEffort";
  if (guaranteed) {
    if (requests.size() != limits.size()) guaranteed = false;
    for (const auto& [name, q] : requests) {
      auto it = limits.find(name);
      if (it == limits.end() || !(it->second == q)) guaranteed = false;
    }
  }
  return guaranteed ? "Guaranteed" : "Burstable";
}

}  // namespace skiff::manifest
