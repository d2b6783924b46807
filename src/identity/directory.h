// The professionals' directory, imported from the public RPPS extraction
// ("PS_LibreAcces_Personne_activite": UTF-8, '|'-separated, a header line, one line per
// professional activity) into FHIR Practitioner, PractitionerRole and Organization
// resources in the shared directory compartment. Columns are found by their header names;
// other columns are ignored. Re-importing updates what changed and marks as inactive what
// is no longer in the file.
#pragma once

#include <functional>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "crypto/keyring.h"
#include "fhir/resource_store.h"
#include "store/store.h"

namespace carnet::identity {

inline constexpr char kIdNatPsSystem[] = "urn:oid:1.2.250.1.71.4.2.1";

struct DirectorySummary {
  size_t lines = 0, invalid = 0;
  size_t practitioners_created = 0, practitioners_updated = 0, practitioners_deactivated = 0;
  size_t roles_created = 0, roles_updated = 0, roles_deactivated = 0;
  size_t organizations_created = 0, organizations_updated = 0;
};

struct DirectoryLineError {
  size_t line;
  std::string reason;
};

class DirectoryImporter {
 public:
  DirectoryImporter(store::Store& store, const crypto::KeyRing& ring, const Clock& clock);

  // Streams the file; lines are committed in batches. A file without the needed columns is
  // refused (kInvalid); bad lines are reported and skipped.
  Result<DirectorySummary> run(const std::function<Result<size_t>(char*, size_t)>& source,
                               const std::function<void(const DirectoryLineError&)>& on_error);

 private:
  store::Store& store_;
  const crypto::KeyRing& ring_;
  const Clock& clock_;
};

// The practitioner resource id for an IdNatPs (the directory's FHIR ids are stable).
std::string practitioner_id(const std::string& idnatps);

}  // namespace carnet::identity
