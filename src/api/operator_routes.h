// Operator endpoints (operator accounts only; an operator never sees health content):
//   POST /api/v1/operator/enrolments          CSV body (text/csv) -> NDJSON report, one line per record
//   POST /api/v1/operator/provisional-codes   {nir} -> a new code sent to the person
//   POST /api/v1/operator/professional-invitations  {idnatps, email} -> invitation e-mailed
//   GET  /api/v1/operator/statistics          counts of spaces by state, activations, professionals
//   POST /api/v1/operator/directory           RPPS extraction (text/plain) -> import summary
//   GET  /api/v1/operator/access-matrix       the matrix in force, one row per profession × category
//   PUT  /api/v1/operator/access-matrix       {rows: [...]} replaces it
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <vector>

#include "api/http_types.h"
#include "core/clock.h"
#include "crypto/keyring.h"
#include "access/reference_data.h"
#include "identity/accounts.h"
#include "identity/directory.h"
#include "identity/enrolment.h"
#include "identity/spaces.h"
#include "store/store.h"

namespace carnet::api {

struct OperatorDeps {
  identity::Accounts& accounts;
  identity::Spaces& spaces;
  const access::ReferenceData& reference;
  store::Store& store;
  const crypto::KeyRing& ring;
  const Clock& clock;
  std::chrono::milliseconds opposition_window;
};

std::vector<Route> operator_routes(OperatorDeps deps);

// The reports' lines, the same from the command line and over HTTP.
nlohmann::json enrolment_line_json(const identity::LineOutcome& o);
nlohmann::json enrolment_summary_json(const identity::EnrolmentSummary& s);
nlohmann::json directory_summary_json(const identity::DirectorySummary& s);

}  // namespace carnet::api
