// A person's space through its lifecycle (ARCHITECTURE §3):
//   notified -> open (deadline passed, or activated) -> closed;  notified -> opposed.
// Proving who you are before activation: NIR + birth date + provisional code. Failed
// attempts are counted per space; after kMaxCodeFailures the code is locked and a new one
// must be asked for. Errors never tell whether a NIR is enrolled.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "crypto/keyring.h"
#include "store/store.h"

namespace carnet::identity {

inline constexpr int kMaxCodeFailures = 5;

struct ProvisionalClaim {
  std::string nir;         // as typed
  std::string birth_date;  // YYYY-MM-DD
  std::string code;        // as typed (case and dashes ignored)
};

// The outcome of checking a claim inside a write transaction.
struct VerifiedClaim {
  std::string space_id;
  std::string state;
  std::string deadline;
  std::string identity_json;  // the sealed identity, opened: traits and contacts
  bool minor = false;         // managed by legal representatives until adult_on
};

// Inside a write transaction: checks `claim`, counting a failure against the space when the
// NIR is known. `outcome` is the answer for the caller (kUnauthenticated with one message
// whatever is wrong, kInvalid for a malformed NIR, kForbidden when locked, kConflict when
// expired); the returned Status is only for storage errors. The transaction must commit even
// when `outcome` is an error, so that failures are counted.
Status verify_claim(store::Transaction& tx, const crypto::KeyRing& ring, const ProvisionalClaim& claim,
                    const std::string& now, VerifiedClaim& out, Status& outcome);

// Queues a notice to the holder of `space_id` inside `tx`, by the channel they chose for this
// `kind` of event (first_access, emergency, new_document: e-mail, SMS or none), else through
// the first contact they gave. A space whose contacts are gone (shredded) gets none. Notices
// carry no health content.
Status notify_holder(store::Transaction& tx, const crypto::KeyRing& ring, std::string_view space_id,
                     std::string_view kind, const std::string& template_id, std::map<std::string, std::string> params,
                     const std::string& now);

class Spaces {
 public:
  Spaces(store::Store& store, const crypto::KeyRing& ring, const Clock& clock);

  // The holder objects: the space goes to `opposed`, its data key is destroyed (crypto-
  // shredding: traits and contacts become unreadable) and a confirmation notice is queued.
  // kUnauthenticated when the claim does not match (same message whatever is wrong);
  // kConflict when the opposition period is over; kForbidden when the code is locked.
  Result<std::string> oppose(const ProvisionalClaim& claim);

  // At the person's request, through an operator: a new provisional code for a space not
  // yet activated (notified or open), valid for `validity`, sent to the person's contacts.
  // kNotFound when there is no such space to help (unknown, objected, closed, activated).
  Status regenerate_code(const std::string& nir, std::chrono::milliseconds validity);

  // Scheduled job: spaces still `notified` past their deadline become `open`, at most
  // `limit` per call. Returns how many changed.
  Result<int64_t> open_expired(int64_t limit = 10'000);

  // Scheduled job: minors who turned 18 today or before. Their representatives' access
  // ends, and they get a new provisional code and a notice to activate their own space.
  // `validity` is how long that code stays valid. Returns how many spaces changed.
  Result<int64_t> end_minority(std::chrono::milliseconds validity, int64_t limit = 10'000);

  // Counts for operators (never health content): spaces by state (the state index answers
  // it), spaces activated in all and in the last 30 days, professionals in the directory and
  // professionals with an account.
  struct Statistics {
    std::map<std::string, int64_t> spaces_by_state;
    int64_t activated = 0, activated_last_30_days = 0, professionals = 0, professional_accounts = 0;
    std::string at;
  };
  Result<Statistics> statistics();

 private:
  store::Store& store_;
  const crypto::KeyRing& ring_;
  const Clock& clock_;
};

}  // namespace carnet::identity
