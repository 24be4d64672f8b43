// Identifiers the store hands out: object uids (random UUIDv4, as Kubernetes') and the random suffix
// of metadata.generateName (five characters from Kubernetes' alphabet without vowels). Thread-safe.
#pragma once

#include <string>

namespace skiff::store {

std::string new_uid();
std::string random_name_suffix();
// Kubernetes' name rules, used by the store to keep every name a safe single path component.
// Empty string when valid, else the reason.
std::string dns_subdomain_problem(const std::string& s);  // 1..253, [a-z0-9.-], alnum at both ends
std::string dns_label_problem(const std::string& s);      // 1..63, [a-z0-9-], alnum at both ends

}  // namespace skiff::store
