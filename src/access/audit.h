// The audit trail (ARCHITECTURE §4): every access to a space by anyone other than its
// holder — reads, searches and denials included — and the holder's own actions (kept apart
// by `by_holder`) are appended as events. Each space's events form a hash chain: an event
// carries the keyed hash of the previous one, so that `carnet audit verify` detects a
// changed, removed or reordered event; the key comes from the master key, so that the chain
// cannot be recomputed by someone who can only write to the database.
//
// Writes are group-committed: callers block until their event is durable, while one writer
// thread commits whatever events arrived meanwhile in one transaction (one fsync for many
// audited reads).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "crypto/keyring.h"
#include "store/store.h"

namespace carnet::access {

struct AuditEvent {
  std::string space_id;
  std::string actor_kind;     // holder, representative, professional, app, operator, system, anonymous
  std::string actor_id;       // account id, or the professional's IdNatPs
  std::string on_behalf_of;   // the account a representative or an app acts for; empty otherwise
  std::string action;         // read, search, create, update, delete, or a domain action (block…)
  std::string resource_type;  // FHIR type, or empty
  std::string resource_id;    // or empty (search, create refused…)
  std::string outcome;        // allowed, denied, failed
  std::string reason;         // the decision's reason, or the stated purpose (emergency)
  std::string client_address;
  bool emergency = false;
  bool by_holder = false;  // the holder's own action (their separate history)
  // Set when stored:
  int64_t seq = 0;
  std::string at;
};

struct AuditProblem {
  std::string space_id;
  int64_t seq;
  std::string what;  // "modified", "missing", "out of order"…
};

class AuditLog {
 public:
  AuditLog(store::Store& store, const crypto::KeyRing& ring, const Clock& clock);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends an event and returns once it is durable (group commit). Inside a request whose
  // response can wait (core/deferred.h), returns at once and the response waits instead.
  Status record(AuditEvent event);
  // Appends events inside the caller's write transaction (a write and its event commit
  // together).
  Status record_in(store::Transaction& tx, std::vector<AuditEvent> events) const;

  // Events of a space, newest first, `limit` at most, before `before_seq` (0: from the end).
  Result<std::vector<AuditEvent>> list(store::Transaction& tx, std::string_view space_id, bool by_holder,
                                       int64_t before_seq, int limit) const;

  // One event of a space; nullopt when there is none.
  Result<std::optional<AuditEvent>> get(store::Transaction& tx, std::string_view space_id, int64_t seq) const;

  // Checks every chain; calls `problem` for each finding. The number of events checked.
  Result<int64_t> verify(store::Transaction& tx, const std::function<void(const AuditProblem&)>& problem) const;

 private:
  std::string chain_hash(const std::string& prev, const AuditEvent& e) const;
  Status first_access(store::Transaction& tx, const AuditEvent& e) const;
  void writer_loop();

  struct Pending {
    AuditEvent event;
    Status result;
    bool done = false;
    // Deferred: who to tell once committed (instead of a waiting thread).
    std::shared_ptr<Pending> self;
    std::vector<std::function<void(Status)>> listeners;
  };

  store::Store& store_;
  const crypto::KeyRing& ring_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable arrived_, committed_;
  std::deque<Pending*> queue_;
  // (space, professional) pairs known to have accessed already: their first access was told.
  mutable std::mutex seen_mu_;
  mutable std::unordered_set<std::string> seen_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace carnet::access
