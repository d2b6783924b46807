// Enrolment by default: beneficiary files from the health insurance register become
// spaces in state `notified`, each with an opposition deadline, a provisional code and a
// notice in the outbox. Idempotent per person (keyed hash of the NIR); streaming and
// committed in batches, so a crash mid-file followed by a re-run ends in the same state as
// one clean run.
//
// File format (CSV, RFC 4180, UTF-8, a header line; column order free, names as below):
//   nir            15 characters (spaces allowed)                         required
//   birth_name     nom de naissance                                       required
//   first_names    prénoms de naissance, separated by spaces or commas    required
//   birth_date     YYYY-MM-DD                                             required
//   sex            M or F                                                 required
//   birthplace     INSEE code: commune (75056, 2A004) or 99 + country     required
//   email          where the notice is e-mailed                           optional
//   mobile         where the notice is texted (06..., +33...)             optional
//   address        postal address, for a letter when no e-mail or mobile  optional
//   representatives  for a minor: NIRs of the legal representatives, ';'-separated
// At least one of email, mobile, address is required; the notice uses the first present.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "crypto/keyring.h"
#include "store/store.h"

namespace carnet::identity {

struct EnrolmentOptions {
  std::chrono::milliseconds opposition_window{std::chrono::days(42)};  // six weeks, as the decree sets
  size_t batch_size = 2000;                 // lines per transaction
};

enum class LineStatus { kEnrolled, kAlreadyEnrolled, kObjected, kInvalid };
std::string_view line_status_name(LineStatus s);

struct LineOutcome {
  size_t line = 0;  // CSV record number; the header is 1
  LineStatus status = LineStatus::kInvalid;
  std::string reason;    // for kInvalid and kObjected
  std::string space_id;  // for kEnrolled and kAlreadyEnrolled
};

struct EnrolmentSummary {
  size_t lines = 0, enrolled = 0, already_enrolled = 0, objected = 0, invalid = 0;
};

using ByteSource = std::function<Result<size_t>(char* buf, size_t cap)>;  // 0 at end
using OutcomeSink = std::function<void(const LineOutcome&)>;            // in line order

class Enroller {
 public:
  Enroller(store::Store& store, const crypto::KeyRing& ring, const Clock& clock, EnrolmentOptions options = {});

  // Reads the whole file. A bad header (missing or unknown column) or a CSV syntax error
  // stops it with kInvalid; bad lines are reported and skipped. Lines of batches committed
  // before an error stay committed (re-running is safe).
  Result<EnrolmentSummary> run(const ByteSource& source, const OutcomeSink& sink);

 private:
  store::Store& store_;
  const crypto::KeyRing& ring_;
  const Clock& clock_;
  EnrolmentOptions options_;
};

// Keyed hash under which a NIR is looked up.
std::string ins_lookup_hash(const crypto::KeyRing& ring, std::string_view nir15);
// Keyed hash of a provisional code, bound to its space.
std::string provisional_code_hash(const crypto::KeyRing& ring, std::string_view space_id, std::string_view code);
// 12 characters without look-alikes, shown as XXXX-XXXX-XXXX; normalise user input with
// normalize_provisional_code before hashing.
std::string new_provisional_code();
std::string normalize_provisional_code(std::string_view typed);

}  // namespace carnet::identity
