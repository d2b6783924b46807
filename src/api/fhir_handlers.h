// The FHIR R4 interactions, one file each (fhir_<interaction>.cpp), and the CapabilityStatement
// derived from the routes (routes.cpp lists them). Each handler parses the request, calls
// the caller's repository (fhir_common.h with_repository) and formats the answer.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "api/fhir_common.h"
#include "api/http_types.h"

namespace carnet::api::fhir_rest {

Response read(const FhirServices& s, const Request& req);              // GET {type}/{id}
Response vread(const FhirServices& s, const Request& req);             // GET {type}/{id}/_history/{vid}
Response instance_history(const FhirServices& s, const Request& req);  // GET {type}/{id}/_history
Response type_history(const FhirServices& s, const Request& req);      // GET {type}/_history
Response create(const FhirServices& s, const Request& req);            // POST {type}
Response update(const FhirServices& s, const Request& req);            // PUT {type}/{id}
Response remove(const FhirServices& s, const Request& req);            // DELETE {type}/{id}
Response search(const FhirServices& s, const Request& req);            // GET {type}, POST {type}/_search
Response bundle(const FhirServices& s, const Request& req);            // POST / (batch, transaction)
Response summary(const FhirServices& s, const Request& req);           // GET Patient[/{id}]/$summary

// AuditEvent: the space's audit trail as FHIR, read-only (fhir_audit.cpp), within a read or
// search of that type.
Result<Response> audit_read(access::Repository& repo, const Request& req);
Result<Response> audit_search(access::Repository& repo, const Request& req,
                              const std::vector<std::pair<std::string, std::string>>& params);

// GET metadata: what the routes registered before it make work.
Route capability_route(const std::vector<Route>& routes);

// A write's body as a JSON object (415 for another content type, 400 when it is not JSON or
// not an object); for an update, `id` is the URL's, which the resource must carry. The
// Response is the error.
std::variant<nlohmann::json, Response> parse_resource_body(const Request& req, std::string_view type,
                                                           std::string_view id = {});

}  // namespace carnet::api::fhir_rest
