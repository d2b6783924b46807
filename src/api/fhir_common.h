// Shared by the FHIR REST handlers (one file per interaction, fhir_handlers.h): what the
// handlers run with, OperationOutcome errors, content negotiation, and the one way a handler
// reaches health data — with_repository(), which authenticates the caller and runs the
// handler's body with an access-checked repository (access/repository.h) in one transaction.
// Internal to the api layer: handlers parse, call and format.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "access/repository.h"
#include "api/http_types.h"
#include "api/services.h"
#include "documents/vault.h"
#include "fhir/resource_store.h"
#include "fhir/search.h"
#include "fhir/validator.h"
#include "identity/accounts.h"

namespace carnet::api::fhir_rest {

inline constexpr char kFhirJson[] = "application/fhir+json; charset=utf-8";
inline constexpr uint64_t kResourceLimit = 8ull << 20;
// Writes that may carry documents stream them aside (fhir_documents.h); the vault limits
// each document, this bounds the whole request.
inline constexpr uint64_t kDocumentBodyLimit = 1ull << 30;

// What the FHIR handlers run with (accounts, repositories, vault); one per process.
using FhirServices = Services;

// An OperationOutcome with one error issue. `expression`: FHIRPath of the bad element.
Response outcome(int status, std::string_view code, std::string_view diagnostics, std::string_view request_id,
                 std::string_view expression = {});
// The status's HTTP code and message; a 500 says only "internal error" and the request id.
Response outcome(const Status& s, std::string_view request_id);
std::string_view issue_code(ErrorCode c);
// A 422 OperationOutcome listing validation issues, each with its expression.
Response validation_outcome(const std::vector<fhir::ValidationIssue>& issues, std::string_view request_id);

// Accept / _format: JSON only.
bool wants_json(const Request& req);
Response not_acceptable(const Request& req);
// Content-Type of a resource body: application/fhir+json or application/json.
bool json_body(const Request& req);

// "http(s)://host/fhir/r4", from the Host header and the connection's security.
std::string base_url(const Request& req);

// Decoded name/value pairs of a query string or form body ('+' is a space). kInvalid on a
// malformed escape.
Result<std::vector<std::pair<std::string, std::string>>> decode_form(std::string_view text);

// The caller as the access policy sees them, from the request's credentials. `remembered`: a
// safe request, or any request with a bearer token (no CSRF token to check), may take a
// session this instance authenticated less than a minute ago from memory
// (identity::Accounts::remembered); the repository confirms it in its first statement, and
// commits nothing before.
Result<access::Caller> authenticate_caller(identity::Accounts& accounts, const Request& req, bool remembered = false);

// Authenticates the caller and runs `body` with their repository in one transaction of
// `mode`, turning its error into an OperationOutcome (a refused write's R4 issues listed one
// by one). A remembered session the repository no longer confirms is authenticated again in
// full (it may act in another space since) and `body` run again, or the request refused as
// not signed in. `body` may run more than once (store.h).
using RepositoryBody = std::function<Result<Response>(access::Repository&)>;
Response with_repository(const FhirServices& services, const Request& req, store::TxMode mode, const RepositoryBody& body,
                         bool remembered = false);
// The same for a caller authenticated before (a write that first reads its body).
Response run_repository(const FhirServices& services, const Request& req, const access::Caller& caller,
                        store::TxMode mode, const RepositoryBody& body);

// The response to a successful write or read, as Prefer asks: the resource (default), nothing
// (return=minimal) or an OperationOutcome (return=OperationOutcome); ETag, Last-Modified, and
// Location for a creation.
Response versioned(int status, const fhir::ResourceVersion& v, const Request& req);
// If-Match: W/"<version>" (nullopt when absent).
Result<std::optional<int64_t>> if_match(std::string_view header);

// A Bundle entry of a history: fullUrl, request, response and (unless a deletion) resource.
nlohmann::json history_entry(std::string_view base, const fhir::ResourceVersion& v);

// Percent-encodes a query component (unreserved characters kept).
std::string query_escape(std::string_view s);

// A page link of a searchset or history Bundle: base/path?params[&_cursor=cursor].
std::string page_link(std::string_view base, std::string_view path,
                      const std::vector<std::pair<std::string, std::string>>& params, std::string_view cursor);

// The If-None-Exist header (or Bundle entry field) as a strict search of the type.
Result<fhir::SearchQuery> if_none_exist(std::string_view type, std::string_view header);

// The patient a search is about (patient=, subject= or, for Patient, _id=), or "".
std::string patient_of_search(std::string_view type, const std::vector<std::pair<std::string, std::string>>& params);

// A version id of a URL: digits only.
Result<int64_t> version_id(std::string_view text);

}  // namespace carnet::api::fhir_rest
