// Domain rules around the resource store (ARCHITECTURE §4): each domain module (documents/,
// profile/, notify/, and those to come: messaging/, agenda/, apps/, prescriptions/) attaches
// hooks to the resource types it owns; the Repository runs them on every write of that type,
// inside the write's transaction, after it decided that the caller may write. All hooks are
// registered in one place (main/domain_hooks.cpp).
//
// Order of a create or update:
//   1. the resource is validated against R4 (fhir::Validator) by the Repository;
//   2. validate()       — domain checks, reading only what R4 guarantees (kInvalid: 422);
//   3. before_write()   — may complete the resource (who entered it, a document's sizes);
//   4. the version is stored, then labels() gives its access labels (resource_access);
//   5. after_write()    — derived resources, notices, documents' bytes.
// A delete runs on_delete() before the deletion version is stored.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"
#include "fhir/resource_store.h"

namespace carnet::access {

class Repository;

// What a request brings along with its resources that is not in them (a request's documents,
// streamed into the vault before the transaction): a domain module's subclass, which its own
// hooks recognise. Null when there is none.
class WriteAttachments {
 public:
  virtual ~WriteAttachments() = default;
};

// One write being made, as its hooks see it.
struct WriteContext {
  Repository& repo;
  std::string space;       // the space written into
  std::string type;        // the resource type
  std::string id;          // the resource's id (assigned before before_write() for creates)
  bool create = false;     // a new resource (else a new version)
  bool derived = false;    // written by another write's hook (create_derived, update_related)
  bool fresh_id = false;   // a create whose id the server just drew (not the client's)
  WriteAttachments* attachments = nullptr;
  size_t key = 0;          // which resource of the request (a Bundle entry's index; 0 alone)
};

// The access labels of a resource version (visibility.h reads them).
struct Labels {
  bool labelled = false;    // a hook set something: the labels row is written
  std::string category;     // matrix category (documents); empty: the type's
  bool withheld_from_patient = false;      // until the announcement consultation (its author only)
  bool hidden_from_representatives = false;
  bool hidden_from_professionals = false;
  std::vector<std::string> followers;      // Binary ids that carry the same labels (a document's bytes)
};

class ResourceHooks {
 public:
  virtual ~ResourceHooks() = default;
  virtual Status validate(const WriteContext& w, const nlohmann::json& resource) const;
  virtual Status before_write(WriteContext& w, nlohmann::json& resource) const;
  virtual void labels(const WriteContext& w, const nlohmann::json& resource, Labels& out) const;
  virtual Status after_write(WriteContext& w, const fhir::ResourceVersion& v, const nlohmann::json& resource) const;
  // `current`: the version being deleted.
  virtual Status on_delete(WriteContext& w, const fhir::ResourceVersion& current) const;
};

class HookRegistry {
 public:
  // Hooks for one type, or for every type with "*"; run in the order added.
  void add(std::string type, std::shared_ptr<const ResourceHooks> hooks);
  // The hooks of `type`, in the order added. Registration ends before requests are served:
  // reading is then safe from any thread.
  std::vector<const ResourceHooks*> of(std::string_view type) const;

 private:
  std::vector<std::pair<std::string, std::shared_ptr<const ResourceHooks>>> all_;
};

}  // namespace carnet::access
