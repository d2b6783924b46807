// FHIR R4 REST under /fhir/r4 (first part of the FHIR issue): read, vread, history, create,
// update (If-Match), delete, with OperationOutcome errors, ETag/Location/Last-Modified, and
// content negotiation. Binary and DocumentReference writes carry documents (fhir_documents.h),
// streamed into the vault. Every call goes through the access gate (access/gate.h), the one
// policy decision, which also writes the audit trail.
#pragma once

#include <vector>

#include "access/gate.h"
#include "api/http_types.h"
#include "core/clock.h"
#include "crypto/keyring.h"
#include "documents/vault.h"
#include "identity/accounts.h"
#include "store/store.h"

namespace carnet::api {

// The event channel (store::Transaction::publish) on which a document added to a space by
// someone other than its holder is announced; the payload is the space id.
inline constexpr char kDocumentsChannel[] = "documents";

std::vector<Route> fhir_routes(identity::Accounts& accounts, access::Gate& gate, store::Store& store,
                               const crypto::KeyRing& ring, const Clock& clock, documents::Vault& vault);

}  // namespace carnet::api
