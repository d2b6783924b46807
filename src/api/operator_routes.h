// Operator endpoints (operator accounts only; an operator never sees health content):
//   POST /api/v1/operator/enrolments          CSV body (text/csv) -> NDJSON report, one line per record
//   POST /api/v1/operator/provisional-codes   {nir} -> a new code sent to the person
//   POST /api/v1/operator/professional-invitations  {idnatps, email} -> invitation e-mailed
#pragma once

#include <chrono>
#include <vector>

#include "api/http_types.h"
#include "core/clock.h"
#include "crypto/keyring.h"
#include "identity/accounts.h"
#include "identity/spaces.h"
#include "store/store.h"

namespace carnet::api {

struct OperatorDeps {
  identity::Accounts& accounts;
  identity::Spaces& spaces;
  store::Store& store;
  const crypto::KeyRing& ring;
  const Clock& clock;
  std::chrono::milliseconds opposition_window;
};

std::vector<Route> operator_routes(OperatorDeps deps);

}  // namespace carnet::api
