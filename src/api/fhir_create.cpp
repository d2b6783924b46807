// FHIR create: POST {type}, conditional with If-None-Exist. A Binary may be posted as the
// document itself (its own content type), streamed into the vault as it arrives.
#include <nlohmann/json.hpp>

#include "api/fhir_documents.h"
#include "api/fhir_handlers.h"
#include "documents/staging.h"
#include "fhir/resource_types.h"

namespace carnet::api::fhir_rest {

using json = nlohmann::json;

std::variant<json, Response> parse_resource_body(const Request& req, std::string_view type, std::string_view id) {
  if (!json_body(req)) return outcome(415, "not-supported", "send the resource as application/fhir+json", req.request_id);
  auto doc = json::parse(body_text(req), nullptr, false);
  if (doc.is_discarded()) return outcome(400, "structure", "body is not valid JSON", req.request_id);
  if (!doc.is_object()) return outcome(400, "structure", "a resource must be a JSON object", req.request_id);
  if (!id.empty() && (!doc.contains("id") || doc["id"] != id)) {
    return outcome(400, "invalid", "the resource's id must match the URL", req.request_id, std::string(type) + ".id");
  }
  return doc;
}

Response create(const FhirServices& s, const Request& req) {
  auto caller = authenticate_caller(s.accounts, req, /*remembered=*/true);
  if (!caller.is_ok()) return outcome(caller.status(), req.request_id);
  if (!wants_json(req)) return not_acceptable(req);
  std::string type(req.param("type"));
  if (!fhir::find_resource_type(type)) {
    return outcome(Status::not_found("resource type '" + type.substr(0, 40) + "' is not supported"), req.request_id);
  }
  // The documents go to the vault before the transaction, checked against their type.
  FhirBodySink* sink = fhir_sink(req);
  documents::DocumentStaging staging(s.vault, json_spool(req));
  json doc;
  if (sink && !sink->is_json()) {
    // A document posted as itself (its own content type): a Binary.
    doc = {{"resourceType", "Binary"}, {"contentType", std::string(req.header("content-type"))}};
    std::string context(req.header("x-security-context"));
    if (!context.empty()) doc["securityContext"] = {{"reference", context}};
    Status staged = staging.stage_raw(*sink->take_raw(), std::string(req.header("content-type")), 0);
    if (!staged.is_ok()) return outcome(staged, req.request_id);
  } else {
    auto parsed = parse_resource_body(req, type);
    if (auto* r = std::get_if<Response>(&parsed)) return std::move(*r);
    doc = std::move(std::get<json>(parsed));
    Status staged = staging.stage(doc, type, type, 0);
    if (!staged.is_ok()) return outcome(staged, req.request_id);
  }
  if (Status taken = all_documents_taken(req); !taken.is_ok()) return outcome(taken, req.request_id);
  access::Repository::WriteOptions options;
  if (std::string_view ine = req.header("if-none-exist"); !ine.empty()) {
    auto q = if_none_exist(type, ine);
    if (!q.is_ok()) return outcome(q.status(), req.request_id);
    options.if_none_exist = std::move(*q);
  }
  options.attachments = &staging;
  bool created = false;
  Response out = run_repository(s, req, *caller, store::TxMode::kWrite, [&](access::Repository& repo) -> Result<Response> {
    auto c = repo.create(type, doc, options);
    if (!c.is_ok()) return c.status();
    created = c->created;
    return versioned(c->created ? 201 : 200, c->version, req);
  });
  if (created && out.status < 300) staging.committed();
  return out;
}

}  // namespace carnet::api::fhir_rest
