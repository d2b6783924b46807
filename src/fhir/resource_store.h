// The one code path that stores FHIR resources (ARCHITECTURE §3): ids, versions
// (meta.versionId, meta.lastUpdated), history, soft delete, per-compartment encryption.
// Every call runs inside the caller's transaction, so that domain hooks, search indexes and
// the audit trail commit together with the resource.
//
// A compartment is a person's space id (bodies sealed with the space key) or
// kDirectoryCompartment (the shared professionals' directory, sealed with a service key).
// Validation happens before: this layer stores what it is given, as JSON text. The search
// indexes of the current version are rewritten in the same transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/clock.h"
#include "core/status.h"
#include "crypto/keyring.h"
#include "fhir/search_index.h"
#include "store/store.h"

namespace carnet::fhir {

inline constexpr std::string_view kDirectoryCompartment = "directory";

struct ResourceVersion {
  std::string type;
  std::string id;
  int64_t version = 0;
  std::string last_updated;  // FHIR instant
  bool deleted = false;
  std::string json;  // the resource with its meta set; empty for a deletion
  std::string compartment;  // where it lives: a space id, or kDirectoryCompartment
};

class ResourceStore {
 public:
  ResourceStore(const crypto::KeyRing& ring, const Clock& clock);

  // Stores version 1 of a new resource. `id` empty: a new time-ordered id is assigned.
  // kConflict when a resource with that id exists. `json` must be an object of that type.
  // `fresh_id`: `id` was just drawn (crypto::time_ordered_uuid) and names nothing yet, so
  // nothing is waited for to find out (Transaction::exec_deferred).
  Result<ResourceVersion> create(store::Transaction& tx, std::string_view compartment, std::string_view type,
                                 std::string_view json, std::string_view id = {}, bool fresh_id = false);
  // The same from the parsed resource, which gets its id and meta as stored (a validated
  // resource is not printed to be parsed again).
  Result<ResourceVersion> create(store::Transaction& tx, std::string_view compartment, std::string_view type,
                                 nlohmann::json& resource, std::string_view id = {}, bool fresh_id = false);

  // A search page's matches, opened from the columns its statement read with each of them
  // (current_columns(false), in the order of `matches`): no second read.
  Result<std::vector<ResourceVersion>> open_page(store::Transaction& tx, std::string_view compartment,
                                                 std::string_view type,
                                                 const std::vector<std::pair<std::string, int64_t>>& matches,
                                                 const std::vector<store::Row>& rows);

  // The current version; kNotFound if it never existed, kGone (with the deletion's version
  // in the message) if it was deleted.
  Result<ResourceVersion> read(store::Transaction& tx, std::string_view compartment, std::string_view type,
                               std::string_view id);

  // The current version read by a larger statement (the access gate's, so that a read by id
  // is one round trip for the decision and the data; a search's, with each match):
  // current_columns() over the alias `r` (resources, NULL when no such resource), then
  // open_current() answers as read() would. The body is the row's own; a row without one (a
  // deletion, or a version written before migration 27) has its current version in
  // resource_versions, looked up only then (COALESCE stops at its first value).
  // `wrapped_key`: a fifth column, the space's wrapped data key.
  static std::string current_columns(bool wrapped_key = true);
  static constexpr size_t kCurrentColumnCount = 5;
  Result<ResourceVersion> open_current(store::Transaction& tx, std::string_view compartment, std::string_view type,
                                       std::string_view id, const store::Row& columns);
  // One version; kNotFound if there is no such version. A deletion version is returned
  // with deleted = true and no body.
  Result<ResourceVersion> vread(store::Transaction& tx, std::string_view compartment, std::string_view type,
                                std::string_view id, int64_t version);

  // A new version. `if_match`: the version the caller read; another current version gives
  // kPreconditionFailed. A resource that does not exist (or was deleted) is (re)created with
  // this id, as FHIR's update-as-create — unless another compartment uses that id (kConflict):
  // ids stay unique per type.
  Result<ResourceVersion> update(store::Transaction& tx, std::string_view compartment, std::string_view type,
                                 std::string_view id, std::string_view json, std::optional<int64_t> if_match = {});
  Result<ResourceVersion> update(store::Transaction& tx, std::string_view compartment, std::string_view type,
                                 std::string_view id, nlohmann::json& resource, std::optional<int64_t> if_match = {});

  // Adds a deletion version. Deleting a deleted or unknown resource succeeds (idempotent,
  // as FHIR allows) and returns nullopt.
  Result<std::optional<int64_t>> remove(store::Transaction& tx, std::string_view compartment, std::string_view type,
                                        std::string_view id);

  // Versions of one resource, newest first; stops when `each` returns non-OK.
  // Versions of every resource of a type in a compartment, newest first, `count` at a time
  // from an opaque cursor (empty: the newest); `since`: only versions at or after this
  // instant. The cursor for the next page is empty at the end.
  struct HistoryPage {
    std::vector<ResourceVersion> versions;
    std::string next_cursor;
  };
  Result<HistoryPage> type_history(store::Transaction& tx, std::string_view compartment, std::string_view type,
                                   std::string_view since, std::string_view cursor, int count);

  // The search indexes this store keeps in step with every write.
  const SearchIndex& index() const { return index_; }

  Status history(store::Transaction& tx, std::string_view compartment, std::string_view type, std::string_view id,
                 const std::function<Status(const ResourceVersion&)>& each);

 private:
  Result<crypto::SecretKey> key_for(store::Transaction& tx, std::string_view compartment);
  Result<ResourceVersion> write_version(store::Transaction& tx, std::string_view compartment, std::string_view type,
                                        std::string_view id, int64_t version, nlohmann::json& doc, bool is_new,
                                        bool fresh_id = false, const SearchIndex::Previous* previous = nullptr);
  static Result<ResourceVersion> open_row(const crypto::SecretKey& key, std::string_view compartment,
                                          std::string_view type, std::string_view id, const store::Row& row);

  const crypto::KeyRing& ring_;
  const Clock& clock_;
  SearchIndex index_;
};

}  // namespace carnet::fhir
