// The gate every access to a space goes through: it loads the facts the policy needs from
// the store, asks decide() (policy.h), and records the outcome in the audit trail for
// anyone but the holder acting in their own space. The REST layer calls it; nothing else
// decides.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <string_view>
#include <vector>

#include "access/audit.h"
#include "access/policy.h"
#include "core/clock.h"
#include "crypto/keyring.h"
#include "store/store.h"

namespace carnet::access {

// Who asks, as the REST layer knows them after authentication.
struct Caller {
  Actor actor;
  std::string own_space;        // a holder's own space
  std::string acting_space;     // the space a holder or representative acts in
  std::string client_address;
  // Set when the session was not read for this request (identity::Accounts::remembered):
  // check() confirms it in its statement, and answers kUnauthenticated when it no longer
  // stands.
  std::optional<store::Condition> unconfirmed_session;
};

struct Target {
  std::string space_id;  // empty for the directory
  ResourceFacts resource;
  std::string resource_id;  // empty for search and create
  // A read by id may have the resource's current version read by the statement that reads
  // the facts (one round trip for the decision and the data): `current` then holds
  // fhir::ResourceStore::kCurrentColumns, only when the access is allowed.
  bool read_current = false;
  std::optional<store::Row> current;
};

class Gate {
 public:
  Gate(store::Store& store, const crypto::KeyRing& ring, AuditLog& audit, const Clock& clock)
      : store_(store), ring_(ring), audit_(audit), clock_(clock) {}

  AuditLog& audit() const { return audit_; }

  // How long a result withheld from the patient stays withheld at most (then it is shown).
  void set_withheld_release_after(std::chrono::seconds d) { withheld_release_after_ = d; }
  std::chrono::seconds withheld_release_after() const { return withheld_release_after_; }
  const crypto::KeyRing& ring() const { return ring_; }
  const Clock& clock() const { return clock_; }

  // Completes a professional actor with their profession, from the directory (kForbidden
  // when the directory no longer lists them: an inactive professional has no access).
  Status complete(Actor& actor) const;

  // What a search must leave out for this caller in this space, as SQL over the row alias r
  // of the resources table (documents hidden from them, messages they are not part of);
  // empty when nothing.
  struct Filter {
    std::string sql;
    std::vector<store::Value> params;
  };
  std::vector<Filter> search_filters(const Caller& caller, std::string_view space_id, std::string_view type) const;

  // Loads the facts (in a read transaction of its own), decides, audits. An audited access
  // returns once its event is durable. A target with a resource id but no space (a
  // professional naming a resource by id) gets the space that holds it, or kNotFound.
  Result<Decision> check(const Caller& caller, Action action, Target& target);

  // The facts of a space for a caller; public for the tests and the holder's settings pages.
  Result<SpaceFacts> space_facts(store::Transaction& tx, const Caller& caller, std::string_view space_id) const;
  // What a facts statement may read besides the facts, in the same round trip.
  struct Extras {
    std::optional<store::Row>* current = nullptr;  // the resource's current version (Target::current)
    const store::Condition* session = nullptr;     // a session to confirm (Caller::unconfirmed_session)
    std::optional<bool> session_confirmed;         // out: whether the session's condition held, once read
    bool reference_version = false;                 // store::reference_version() too,
    std::optional<int64_t> reference_version_read;  // out: as read
  };
  // The same, filling `resource`'s flags (as resource_flags() does) from the same statement.
  Result<SpaceFacts> space_facts(store::Transaction& tx, const Caller& caller, std::string_view space_id,
                                 std::string_view resource_id, ResourceFacts* resource,
                                 Extras* extras = nullptr) const;
  // The same for a resource named by type and id alone: the space is the one holding it
  // (the result's space_id), found by the same statement. kNotFound when no space holds it.
  Result<SpaceFacts> space_facts_of_resource(store::Transaction& tx, const Caller& caller, std::string_view resource_id,
                                             ResourceFacts& resource, Extras* extras = nullptr) const;
  // Fills the per-resource flags (hidden, author) of `resource` from the store.
  Status resource_flags(store::Transaction& tx, std::string_view space_id, std::string_view id,
                        ResourceFacts& resource) const;
  // The matrix in force: the operator's import, or the national default.
  Result<Matrix> matrix(store::Transaction& tx) const;
  // Replaces the matrix in force (every profession of `m` × every category); running
  // instances see the reference-data version change and read it again.
  static Status replace_matrix(store::Transaction& tx, const Matrix& m);

  // Forgets the reference data kept here (matrix, professions), e.g. when an instance
  // announces a change; the next access reads them again.
  void drop_caches() const;

 private:
  // Fills the facts from a row of kFactsColumns (null: no such space).
  Result<SpaceFacts> facts_from_row(store::Transaction& tx, const Caller& caller, std::string_view space_id,
                                    const store::Row* row, const std::string& now, ResourceFacts* resource) const;
  Result<std::shared_ptr<const Matrix>> cached_matrix(store::Transaction& tx, int64_t version) const;
  Result<std::string> load_profession(store::Transaction& tx, const std::string& idnatps) const;
  void remember_profession(const std::string& idnatps, const std::string& profession, int64_t version) const;

  store::Store& store_;
  const crypto::KeyRing& ring_;
  AuditLog& audit_;
  const Clock& clock_;
  std::chrono::seconds withheld_release_after_{std::chrono::hours(24 * 30)};

  // Read-mostly reference data: professions from the directory (changed by imports) and the
  // matrix (changed by an operator's import), each kept with the reference-data version
  // (store::reference_version) it was read at; check() compares with the database's.
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, std::pair<std::string, int64_t>> professions_;
  mutable std::shared_ptr<const Matrix> matrix_;
  mutable int64_t matrix_version_ = -1;
  mutable int64_t seen_version_ = -1;  // the newest version a check() read
};

}  // namespace carnet::access
