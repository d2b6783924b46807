// The facts decide() needs (policy.h), read from the store in the caller's transaction — in
// one statement: the space (state, activation), a professional's relationships, block and
// the holder's emergency setting, and a resource's access labels. The same statement may read
// what the request needs next (the resource's current version, the reference-data version, a
// remembered session's confirmation), so that a read by id is one round trip. Internal to
// access/ (the Repository and Care).
#pragma once

#include <optional>
#include <string>

#include "access/caller.h"
#include "access/policy.h"
#include "store/store.h"

namespace carnet::access {

struct FactsQuery {
  std::string space_id;     // the space (empty: none, read as closed)
  bool locate = false;      // the space is the one holding `resource_id` (a professional naming a resource by id)
  std::string type;         // the resource's type (its labels are read), or empty
  std::string resource_id;  // or empty (a search, a create, the space as a whole)
  // With resource_id empty: the resource is the one whose id this query (one row, one
  // column) gives, read with the facts in the same statement (a space's noted latest height).
  const store::Condition* named_by = nullptr;
  bool with_current = false;            // read the resource's current version (fhir::ResourceStore::current_columns())
  bool with_reference_version = false;  // read store::reference_version() too
  bool with_space_key = false;  // read the space's wrapped data key too, kept for the transaction (a create's write needs it)
  const store::Condition* session = nullptr;  // a remembered session to confirm
  std::string now;  // FHIR instant the facts are read at
};

struct LoadedFacts {
  SpaceFacts space;          // state "closed" when no such space
  ResourceFacts resource;    // its labels (type and category as given by the caller's query)
  bool resource_exists = false;     // the labels row, or for a located query the resource, exists
  std::optional<store::Row> current;  // with_current, when the resource exists (deleted ones too)
  bool session_confirmed = true;
  int64_t reference_version = -1;
  std::string named_id;  // the id named_by gave ("" when it named none)
};

// kNotFound when the query locates the space by a resource that no space holds.
Result<LoadedFacts> load_facts(store::Transaction& tx, const Caller& caller, const FactsQuery& q);

}  // namespace carnet::access
