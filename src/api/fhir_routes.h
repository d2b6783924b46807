// FHIR R4 REST under /fhir/r4: read, vread, history, create, update (If-Match), delete,
// search, batch/transaction Bundles, Patient/$summary and the CapabilityStatement, with
// OperationOutcome errors, ETag/Location/Last-Modified, and content negotiation. Every call
// reads and writes through the caller's repository (access/repository.h), the one path to
// health data; one handler per interaction (fhir_handlers.h).
#pragma once

#include <vector>

#include "api/fhir_common.h"
#include "api/http_types.h"

namespace carnet::api {

std::vector<Route> fhir_routes(const fhir_rest::FhirServices& services);

}  // namespace carnet::api
