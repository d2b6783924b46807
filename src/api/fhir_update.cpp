// FHIR update: PUT {type}/{id}, with If-Match; an unknown id of the caller's space is created
// (update-as-create).
#include <nlohmann/json.hpp>

#include "api/fhir_documents.h"
#include "api/fhir_handlers.h"
#include "documents/staging.h"

namespace carnet::api::fhir_rest {

using json = nlohmann::json;

Response update(const FhirServices& s, const Request& req) {
  auto caller = authenticate_caller(s.accounts, req, /*remembered=*/true);
  if (!caller.is_ok()) return outcome(caller.status(), req.request_id);
  if (!wants_json(req)) return not_acceptable(req);
  auto expected = if_match(req.header("if-match"));
  if (!expected.is_ok()) return outcome(expected.status(), req.request_id);
  std::string type(req.param("type")), id(req.param("id"));
  auto parsed = parse_resource_body(req, type, id);
  if (auto* r = std::get_if<Response>(&parsed)) return std::move(*r);
  json& doc = std::get<json>(parsed);
  documents::DocumentStaging staging(s.vault, json_spool(req));
  if (Status staged = staging.stage(doc, type, type, 0); !staged.is_ok()) return outcome(staged, req.request_id);
  if (Status taken = all_documents_taken(req); !taken.is_ok()) return outcome(taken, req.request_id);
  access::Repository::WriteOptions options;
  options.if_match = *expected;
  options.attachments = &staging;
  bool written = false;
  Response out = run_repository(s, req, *caller, store::TxMode::kWrite, [&](access::Repository& repo) -> Result<Response> {
    auto v = repo.update(type, id, doc, options);
    if (!v.is_ok()) return v.status();
    written = true;
    return versioned(v->version == 1 ? 201 : 200, *v, req);
  });
  if (written && out.status < 300) staging.committed();
  return out;
}

}  // namespace carnet::api::fhir_rest
