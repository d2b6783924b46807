// FHIR read and vread: GET {type}/{id} and GET {type}/{id}/_history/{vid}. A Binary answers
// with its document's bytes (ITI-68) unless JSON is asked; AuditEvent is the audit trail.
#include <nlohmann/json.hpp>

#include "api/fhir_documents.h"
#include "api/fhir_handlers.h"
#include "documents/binary_read.h"

namespace carnet::api::fhir_rest {

namespace {

Response read_version(const FhirServices& s, const Request& req, std::optional<int64_t> version) {
  std::string type(req.param("type")), id(req.param("id"));
  if (type == "Binary") {
    // The document itself, in the type its bytes have (or JSON when asked), streamed once the
    // transaction has ended: opening the bytes may take a connection of its own (documents
    // kept in the database), which must never wait while this request holds one.
    std::optional<documents::BinaryDocument> found;
    Response r = with_repository(s, req, store::TxMode::kRead, [&](access::Repository& repo) -> Result<Response> {
      auto doc = documents::read_binary(repo, s.vault, id, version);
      if (!doc.is_ok()) return doc.status();
      found = std::move(*doc);
      return Response::empty(200);
    });
    if (!found || r.status != 200) return r;
    return binary_response(s.vault, *found, req);
  }
  // The version row and the space's key need no common snapshot: they come with the facts.
  return with_repository(
      s, req, store::TxMode::kReadEach,
      [&](access::Repository& repo) -> Result<Response> {
        if (!wants_json(req)) return not_acceptable(req);
        if (type == "AuditEvent" && !version) return audit_read(repo, req);
        auto v = version ? repo.vread(type, id, *version) : repo.read(type, id);
        if (!v.is_ok()) return v.status();
        if (v->deleted) return Status::gone("version " + std::to_string(v->version) + " is a deletion");
        return versioned(200, *v, req);
      },
      /*remembered=*/!version);
}

}  // namespace

Response read(const FhirServices& s, const Request& req) { return read_version(s, req, std::nullopt); }

Response vread(const FhirServices& s, const Request& req) {
  auto vid = version_id(req.param("vid"));
  if (!vid.is_ok()) {
    auto caller = authenticate_caller(s.accounts, req);  // the signed-in only learn what is wrong
    return outcome(caller.is_ok() ? vid.status() : caller.status(), req.request_id);
  }
  return read_version(s, req, *vid);
}

}  // namespace carnet::api::fhir_rest
