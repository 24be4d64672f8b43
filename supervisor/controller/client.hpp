// Client: how controllers change the world, the way Kubernetes' controllers call the API server. The
// supervisor's implementation writes to the store (its watches then update the ObjectCache a moment
// later); tests use a fake that records calls and can fail them. Every call either succeeds or throws
// ClientError; a sync that sees one stops and is retried with backoff, as a controller's work queue does.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/kind_names.hpp"
#include "error.hpp"
#include "manifest/object.hpp"

namespace skiff::controller {

enum class ErrorReason { kNotFound, kAlreadyExists, kConflict, kInvalid, kNamespaceTerminating, kOther };

class ClientError : public Error {
 public:
  ClientError(ErrorReason reason, const std::string& what) : Error(0, what), reason_(reason) {}
  ErrorReason reason() const noexcept { return reason_; }

 private:
  ErrorReason reason_;
};

// An object an event is about (core/v1 ObjectReference).
struct ObjectRef {
  std::string kind, api_version, ns, name, uid;
};
ObjectRef ref_of(const manifest::Object& obj);
template <typename T>
ObjectRef ref_of(const T& obj) {
  const auto& m = obj.metadata;
  return ObjectRef{kind_name<T>(), api_version_name<T>(), m.namespace_, m.name, m.uid};
}

struct RemoveOptions {
  std::optional<std::string> uid;  // precondition: only the object with this uid
  // metav1.DeletionPropagation: "Background" (Kubernetes' default), "Foreground" or "Orphan".
  std::string propagation = "Background";
};

class Client {
 public:
  virtual ~Client() = default;
  // Creates the object (metadata.generateName honoured) and returns it as stored: uid, name,
  // resourceVersion, creationTimestamp filled in.
  virtual manifest::Object create(const manifest::Object& obj) = 0;
  // Replaces metadata and spec; status is left alone.
  virtual manifest::Object update(const manifest::Object& obj) = 0;
  // Replaces status only. `durable`: the value must survive a restart of the supervisor (the store
  // writes it, coalesced); otherwise it is kept in memory and recomputed after a restart.
  virtual manifest::Object update_status(const manifest::Object& obj, bool durable) = 0;
  // Replaces metadata.ownerReferences of the object with this uid (the adoption and release patches of
  // controller_ref_manager.go); NotFound when it is gone or has another uid now.
  virtual manifest::Object set_owner_references(std::string_view kind, const std::string& ns,
                                                const std::string& name, const std::string& uid,
                                                const std::vector<manifest::OwnerReference>& refs) = 0;
  virtual void remove(std::string_view kind, const std::string& ns, const std::string& name,
                      const RemoveOptions& opts = {}) = 0;
  // core/v1 Event: type "Normal" or "Warning", a CamelCase reason and a message.
  virtual void record_event(const ObjectRef& involved, std::string_view type, std::string_view reason,
                            const std::string& message) = 0;

  template <typename T>
  T create_typed(const T& obj) {
    return std::get<T>(create(manifest::Object(obj)));
  }
  template <typename T>
  T update_typed(const T& obj) {
    return std::get<T>(update(manifest::Object(obj)));
  }
  template <typename T>
  T update_status_typed(const T& obj, bool durable) {
    return std::get<T>(update_status(manifest::Object(obj), durable));
  }
};

inline bool is_not_found(const ClientError& e) {
  return e.reason() == ErrorReason::kNotFound;
}

}  // namespace skiff::controller
