// The one path from a request to health data (ARCHITECTURE §4): a Repository binds the
// authenticated caller to one store transaction, and every read, search, create, update,
// delete and history of a FHIR resource goes through it. Inside that transaction it reads the
// facts (facts.h), asks decide() (policy.h), audits, and acts — running the domain hooks
// (hooks.h) of the type written.
//
//  - A resource the caller may not see answers exactly as one that does not exist (kNotFound
//    on a read, update or delete; absent from searches); the audit trail keeps the refusal
//    and its reason. A refusal of something the caller may see (a search of a type their
//    profession may not see, a change of what another professional added) is kForbidden with
//    the policy's reason.
//  - Audit: every access by someone other than the holder in their own space leaves an event
//    naming the resource. Reads, searches and refusals are recorded once the transaction has
//    ended (group-committed: durable before the response is sent, core/deferred.h); allowed
//    writes are recorded in the write's own transaction, so that a write and its event commit
//    together.
//  - A resource written into a space names that space's Patient wherever R4 puts the patient
//    (fhir/compartment.h), or it is refused (kInvalid, 422).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "access/audit.h"
#include "access/caller.h"
#include "access/hooks.h"
#include "access/policy.h"
#include "access/reference_data.h"
#include "core/clock.h"
#include "crypto/keyring.h"
#include "fhir/resource_store.h"
#include "fhir/search.h"
#include "fhir/validator.h"
#include "store/store.h"

namespace carnet::access {

struct RepositoryOptions {
  // How long a result withheld from the patient stays withheld at most (then it is shown).
  std::chrono::seconds withheld_release_after{std::chrono::hours(24 * 30)};
};

class Repository;
struct LoadedFacts;  // facts.h

// The service that opens repositories: one per process, shared by every request.
class Repositories {
 public:
  Repositories(store::Store& store, const crypto::KeyRing& ring, const Clock& clock, AuditLog& audit,
               const ReferenceData& reference, const HookRegistry& hooks, RepositoryOptions options = {});

  // Runs `fn` with the caller's repository, in one transaction of `mode` (kWrite for a request
  // that writes; kReadEach for reads, whose statements need no common snapshot). Commits when
  // `fn` returns OK; may run `fn` again on a transient conflict (store.h). The events of reads
  // and refusals are recorded when the transaction has ended, whatever its outcome.
  // kUnauthenticated when the caller's remembered session no longer stands.
  Status run(const Caller& caller, store::TxMode mode, const std::function<Status(Repository&)>& fn);

  const crypto::KeyRing& ring() const { return ring_; }
  const Clock& clock() const { return clock_; }
  AuditLog& audit() const { return audit_; }
  const ReferenceData& reference() const { return reference_; }
  const RepositoryOptions& options() const { return options_; }

 private:
  friend class Repository;
  store::Store& store_;
  const crypto::KeyRing& ring_;
  const Clock& clock_;
  AuditLog& audit_;
  const ReferenceData& reference_;
  const HookRegistry& hooks_;
  RepositoryOptions options_;
  mutable fhir::ResourceStore resources_;
};

class Repository {
 public:
  Repository(const Repositories& service, const Caller& caller, store::Transaction& tx);
  ~Repository();
  Repository(const Repository&) = delete;
  Repository& operator=(const Repository&) = delete;

  const Caller& caller() const { return caller_; }
  // The caller's actor, a professional's profession completed from the directory.
  const Actor& actor() const { return actor_; }
  const Clock& clock() const { return service_.clock_; }
  const crypto::KeyRing& ring() const { return service_.ring_; }
  // The transaction, for domain modules' own tables (the vault's rows, care relationships),
  // about resources this repository let through. Never used from api/.
  store::Transaction& tx() { return tx_; }

  // The space a call works in: a holder's or representative's acting space; for a
  // professional, the patient named ("Patient/<id>" or "<id>"). kInvalid when a professional
  // names none.
  Result<std::string> space_for(std::string_view patient) const;

  // Reads.
  Result<fhir::ResourceVersion> read(std::string_view type, std::string_view id);
  Result<fhir::ResourceVersion> vread(std::string_view type, std::string_view id, int64_t version);
  Status history(std::string_view type, std::string_view id, const std::function<Status(const fhir::ResourceVersion&)>& each);
  struct Found {
    std::string space;
    fhir::SearchPage page;
    std::vector<fhir::ResourceVersion> matches;  // the page's resources, in order
  };
  // A search of `query.type` in the space of `patient` (space_for()), restricted by the
  // visibility rules. `read_matches`: false for a search whose resources are read apart.
  Result<Found> search(fhir::SearchQuery query, std::string_view patient, bool read_matches = true);
  // The resources a page's _include/_revinclude parameters name that the caller may read:
  // from the search's space or the directory, each decided as a read (and audited).
  Result<std::vector<fhir::ResourceVersion>> included(const fhir::SearchQuery& query, const Found& found);
  Result<fhir::ResourceStore::HistoryPage> type_history(std::string_view type, std::string_view since,
                                                        std::string_view cursor, int count);
  // Decides (and audits) an access to a space as a whole, not to a resource: the patient
  // summary, the audit trail (AuditEvent). Returns the space.
  Result<std::string> enter(Action action, std::string_view type, std::string_view patient);

  // Writes.
  struct WriteOptions {
    std::string patient;                         // a professional's create: the patient (else from the resource)
    std::string id;                              // a create: the id (empty: a new one)
    bool fresh_id = false;                       // `id` was just drawn by the server (a Bundle's POST)
    std::optional<int64_t> if_match;             // an update: the version the caller read
    std::optional<fhir::SearchQuery> if_none_exist;  // a create: return the one match instead
    WriteAttachments* attachments = nullptr;     // the request's documents (hooks.h)
    size_t key = 0;                              // which resource of the request
  };
  struct Created {
    fhir::ResourceVersion version;
    bool created = true;  // false: If-None-Exist matched an existing resource
  };
  Result<Created> create(std::string_view type, nlohmann::json resource, const WriteOptions& options);
  Result<fhir::ResourceVersion> update(std::string_view type, std::string_view id, nlohmann::json resource,
                                       const WriteOptions& options);
  // Deleting a deleted or unknown resource of the caller's own space succeeds (nullopt).
  Result<std::optional<int64_t>> remove(std::string_view type, std::string_view id);

  // A resource of `space` that the caller may see (kNotFound otherwise), read as part of an
  // access already decided and audited (a write's hook, a document's file name): decided, not
  // audited apart.
  Result<fhir::ResourceVersion> related(std::string_view space, std::string_view type, std::string_view id);
  // The same for the resource whose id `named_by` gives (one row, one column; a hook's row
  // that notes the latest of something), in the statement that reads the access facts:
  // nullopt when it names none.
  Result<std::optional<fhir::ResourceVersion>> related_named_by(std::string_view space, std::string_view type,
                                                                const store::Condition& named_by);

  // A search of `space` as part of an access already decided and audited (a hook deriving a
  // value from the latest measurements): restricted to what the caller may see, not audited
  // apart; empty when the caller may not search that type there.
  Result<Found> related_search(std::string_view space, fhir::SearchQuery query);

  // The ids (with their current versions) of the first page of a search of `space`, whoever
  // may see them: for a hook that keeps a derived value up to date on write (the latest
  // height of a space, profile/), never given to a caller. Reading one of them goes through
  // related(), which decides whether the caller may see it.
  Result<std::vector<std::pair<std::string, int64_t>>> index_lookup(std::string_view space,
                                                                    const fhir::SearchQuery& query);

  // For hooks, within the write that runs them (`w`): what the write concerns, under its
  // decision and in its audit event.
  // A resource derived from the write (a document's Binary, a submission set, a BMI), stored
  // with the same author; its own hooks run.
  Result<fhir::ResourceVersion> create_derived(const WriteContext& w, std::string_view type, nlohmann::json resource);
  // A resource of the write's space changed by it (a document superseded by its
  // replacement), decided as an update by the caller, without running its hooks again.
  Result<fhir::ResourceVersion> update_related(const WriteContext& w, std::string_view type, std::string_view id,
                                               nlohmann::json resource, int64_t if_match);
  Result<std::optional<int64_t>> remove_derived(const WriteContext& w, std::string_view type, std::string_view id);

  // The audit trail of the space of `patient` (AuditEvent), newest first, `limit` events
  // before `before_seq` (0: from the end), for a caller entitled to it; the holder's own
  // actions are not in it.
  Result<std::vector<AuditEvent>> audit_trail(std::string_view patient, int64_t before_seq, int limit);
  // One event of that trail; nullopt when there is none.
  Result<std::optional<AuditEvent>> audit_event(int64_t seq);

  // The R4 validation issues of the last write refused as invalid (kUnprocessable), each with
  // its expression; taken once.
  std::vector<fhir::ValidationIssue> take_validation_issues();

  // Run by Repositories::run at the end of the transaction: the events of allowed writes,
  // recorded in it (an error rolls the transaction back), then the events to record once it
  // has ended.
  Status commit_events();
  // kUnauthenticated when the caller's remembered session no longer stands (checked once: by
  // the first statement that read facts, or now).
  Status confirm_session();
  std::vector<AuditEvent> take_pending_events() { return std::exchange(pending_, {}); }

  struct Decided;  // a decision with the facts it was made on (repository_internal.h)

 private:
  Result<Decided> decide_on(Action action, std::string_view type, std::string_view space, std::string_view id,
                            bool with_current, const store::Condition* named_by = nullptr);
  Status refuse(const Decided& d, Action action, std::string_view type, std::string_view id);
  void audit(const Decided& d, Action action, std::string_view type, std::string_view id, bool in_transaction);
  Result<Found> run_search(const Decided& d, fhir::SearchQuery query, bool read_matches);
  Status check_compartment(std::string_view space, std::string_view type, const nlohmann::json& resource) const;
  // Stores `resource` as `w` says: a new resource (`as_create`) or a new version.
  Result<fhir::ResourceVersion> write(WriteContext& w, nlohmann::json& resource, std::optional<int64_t> if_match,
                                      bool run_hooks, bool as_create);
  Status write_labels(const WriteContext& w, const fhir::ResourceVersion& v, const nlohmann::json& resource);
  Status complete_professional(int64_t reference_version);

  const Repositories& service_;
  const Caller& caller_;
  Actor actor_;
  store::Transaction& tx_;
  bool session_checked_ = false;
  // The facts of a space as a whole (a create's, a search's), read once per transaction:
  // nothing a repository writes changes them (care relationships, blocks, the holder's
  // settings and the space's state change through their own services, in their own
  // transactions), so a Bundle's entries are decided on the facts its first one read.
  std::map<std::string, std::shared_ptr<const LoadedFacts>, std::less<>> space_facts_;
  std::vector<AuditEvent> pending_;
  std::vector<AuditEvent> in_transaction_;
  std::vector<fhir::ValidationIssue> validation_issues_;
};

}  // namespace carnet::access
