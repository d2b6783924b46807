// Shared by the FHIR REST handlers (fhir_routes.cpp, fhir_search_routes.cpp,
// fhir_bundle_routes.cpp): OperationOutcome errors, content negotiation, the access hook and
// the transaction wrapper. Internal to the api layer.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "access/gate.h"
#include "api/http_types.h"
#include "fhir/resource_store.h"
#include "fhir/resource_types.h"
#include "fhir/search.h"
#include "documents/vault.h"
#include "fhir/validator.h"
#include "identity/accounts.h"
#include "store/store.h"

namespace carnet::api::fhir_rest {

inline constexpr char kFhirJson[] = "application/fhir+json; charset=utf-8";
inline constexpr uint64_t kResourceLimit = 8ull << 20;
// Writes that may carry documents stream them aside (fhir_documents.h); the vault limits
// each document, this bounds the whole request.
inline constexpr uint64_t kDocumentBodyLimit = 1ull << 30;

// An OperationOutcome with one error issue. `expression`: FHIRPath of the bad element.
Response outcome(int status, std::string_view code, std::string_view diagnostics, std::string_view request_id,
                 std::string_view expression = {});
// The status's HTTP code and message; a 500 says only "internal error" and the request id.
Response outcome(const Status& s, std::string_view request_id);
std::string_view issue_code(ErrorCode c);

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

// Who calls, as the access gate sees them.
struct Call {
  identity::Principal who;
  access::Caller caller;
  access::Gate* gate = nullptr;
};
struct Target {
  const fhir::ResourceTypeInfo* type = nullptr;
  std::string compartment;
  std::optional<store::Row> current;  // asked with read_current: fhir::ResourceStore::kCurrentColumns
};

// `confirmed_by_gate`: for a safe request whose next step is authorize_call(), a session this
// instance authenticated less than a minute ago is taken from memory
// (identity::Accounts::remembered) and confirmed by the gate's statement rather than read
// first; until then, the call may answer nothing but through authorize_call(), or
// confirm_call() for an error found before.
Result<Call> authenticate_call(identity::Accounts& accounts, access::Gate& gate, const Request& req,
                               bool confirmed_by_gate = false);
// Resolves the compartment of `type` for the caller and asks the access gate (which audits
// the access); kForbidden with the policy's reason when denied. `id`: the resource, for
// calls that address one.
// `patient`: for a professional's search or create, the patient whose record it concerns
// ("Patient/<space id>", from the search parameters or the resource's subject).
// `read_current`: a read of `id`'s current version, read with the access facts (Target::current).
Result<Target> authorize(const Call& call, std::string_view type, access::Action action, std::string_view id = {},
                         std::string_view patient = {}, bool read_current = false);

// authorize() for a call from authenticate_call(): a remembered session that the gate no
// longer confirms is authenticated again in full (it may act in another space since) and
// `call` replaced, or the request refused as not signed in.
Result<Target> authorize_call(identity::Accounts& accounts, Call& call, const Request& req, std::string_view type,
                              access::Action action, std::string_view id = {}, std::string_view patient = {},
                              bool read_current = false);
// For an error found before authorize_call(): the session confirmed first (kUnauthenticated
// when it no longer stands), so that an ended session gets nothing else.
Status confirm_call(identity::Accounts& accounts, const Call& call, const Request& req);

// The patient a search is about (patient=, subject= or, for Patient, _id=), or "".
std::string patient_of_search(std::string_view type, const std::vector<std::pair<std::string, std::string>>& params);
// The patient a resource is about (subject, patient, or an Appointment participant), or "".
std::string patient_of_resource(const nlohmann::json& resource);
// The access policy's visibility rules as search filters.
void add_visibility(const Call& call, const Target& target, fhir::SearchQuery& query);

// A Bundle entry of a history: fullUrl, request, response and (unless a deletion) resource.
nlohmann::json history_entry(std::string_view base, const fhir::ResourceVersion& v);

// Percent-encodes a query component (unreserved characters kept).
std::string query_escape(std::string_view s);

// Create, or with a condition (If-None-Exist) return the one existing match instead.
// kPreconditionFailed when the condition matches several resources.
struct Created {
  fhir::ResourceVersion version;
  bool created;
};
// A professional's creation records them as its author (who may then change it, and still
// sees it when the holder hides it).
// `docs`: the request's documents (fhir_documents.h), for Binary and DocumentReference;
// `key` names this resource among them.
class DocumentStaging;
Result<Created> create_resource(store::Transaction& tx, fhir::ResourceStore& resources, const Call& call,
                                const Target& target, const nlohmann::json& doc,
                                const std::optional<fhir::SearchQuery>& condition, std::string_view id = {},
                                DocumentStaging* docs = nullptr, size_t key = 0);
// Also records a document's visibility labels (securityLabel, ANS TRE_A07): withheld from
// the patient until an announcement consultation (set by its professional author, released
// when they drop the label or after the gate's period), hidden from representatives,
// hidden from professionals; and its Binaries follow it.
Status record_author(store::Transaction& tx, const Call& call, const Target& target, const fhir::ResourceVersion& v);

// The ANS code system of document visibility (TRE_A07-StatutVisibiliteDocument), by URL or OID.
inline constexpr char kVisibilitySystem[] =
    "https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument";
inline constexpr char kVisibilitySystemOid[] = "urn:oid:1.2.250.1.213.1.1.4.13";
struct VisibilityLabels {
  bool withheld_from_patient = false;        // INVISIBLE_PATIENT
  bool hidden_from_representatives = false;  // INVISIBLE_REPRESENTANTS_LEGAUX
  bool hidden_from_professionals = false;    // MASQUE_PS
};
VisibilityLabels visibility_labels(const nlohmann::json& document_reference);
// The If-None-Exist header (or Bundle entry field) as a strict search of the type.
Result<fhir::SearchQuery> if_none_exist(std::string_view type, std::string_view header);

// A 422 OperationOutcome listing validation issues, each with its expression.
Response validation_outcome(const std::vector<fhir::ValidationIssue>& issues, std::string_view request_id);

// The routes of search (GET type, POST _search, type history), of batch/transaction
// Bundles, and the CapabilityStatement derived from all routes registered before it.
void add_search_routes(std::vector<Route>& routes, identity::Accounts& accounts, access::Gate& gate, store::Store& store,
                       std::shared_ptr<fhir::ResourceStore> resources);
void add_bundle_routes(std::vector<Route>& routes, identity::Accounts& accounts, access::Gate& gate, store::Store& store,
                       std::shared_ptr<fhir::ResourceStore> resources, const fhir::Validator& validator,
                       documents::Vault& vault);
Route capability_route(const std::vector<Route>& routes);

// AuditEvent: the space's audit trail as FHIR, read-only (fhir_audit.cpp).
Response audit_read(access::AuditLog& audit, store::Store& store, const Target& target, const Request& req);
Response audit_search(access::AuditLog& audit, store::Store& store, const Target& target, const Request& req,
                      const std::vector<std::pair<std::string, std::string>>& params);

// Runs `body` in a transaction and turns its error into an OperationOutcome.
template <typename F>
Response run(store::Store& store, const Request& req, store::TxMode mode, F&& body) {
  if (!wants_json(req)) return not_acceptable(req);
  Response out;
  Status s = store.transact(mode, [&](store::Transaction& tx) {
    auto r = body(tx);
    if (!r.is_ok()) return r.status();
    out = std::move(r.value());
    return Status::ok();
  });
  if (!s.is_ok()) return outcome(s, req.request_id);
  return out;
}

template <class F>
Response run(store::Store& store, const Request& req, bool write, F&& body) {
  return run(store, req, write ? store::TxMode::kWrite : store::TxMode::kRead, std::forward<F>(body));
}

}  // namespace carnet::api::fhir_rest
