// FHIR R4 REST under /fhir/r4 (first part of the FHIR issue): read, vread, history, create,
// update (If-Match), delete, with OperationOutcome errors, ETag/Location/Last-Modified, and
// content negotiation. Every call goes through `may_access` — for now: a holder acts in
// their own (or represented) space, and anyone signed in reads the directory; the access
// issue replaces it with the single policy function.
#pragma once

#include <vector>

#include "api/http_types.h"
#include "core/clock.h"
#include "crypto/keyring.h"
#include "identity/accounts.h"
#include "store/store.h"

namespace carnet::api {

std::vector<Route> fhir_routes(identity::Accounts& accounts, store::Store& store, const crypto::KeyRing& ring,
                               const Clock& clock);

}  // namespace carnet::api
