#include "api/fhir_routes.h"

#include <functional>

#include <nlohmann/json.hpp>

#include "api/fhir_common.h"
#include "api/fhir_documents.h"
#include "api/fhir_profile.h"
#include "fhir/search.h"
#include "fhir/search_index.h"
#include "fhir/search_params.h"
#include "fhir/validator.h"

namespace carnet::api {
namespace {

using json = nlohmann::json;
using namespace fhir_rest;

// The response to a successful write or read, as Prefer asks: the resource (default), nothing
// (return=minimal) or an OperationOutcome (return=OperationOutcome).
Response versioned(int status, const fhir::ResourceVersion& v, const Request& req) {
  Response r;
  std::string_view prefer = req.header("prefer");
  if (req.method != "GET" && prefer.find("return=minimal") != std::string_view::npos) {
    r = Response::empty(status);
  } else if (req.method != "GET" && prefer.find("return=OperationOutcome") != std::string_view::npos) {
    json doc = {{"resourceType", "OperationOutcome"},
                {"issue", {{{"severity", "information"}, {"code", "informational"},
                            {"diagnostics", v.type + "/" + v.id + " version " + std::to_string(v.version) + " stored"}}}}};
    r = Response::text(status, doc.dump(), kFhirJson);
  } else {
    r = Response::text(status, v.json, kFhirJson);
  }
  r.set_header("ETag", "W/\"" + std::to_string(v.version) + "\"");
  r.set_header("Last-Modified", v.last_updated);
  if (req.method == "POST" || status == 201) {
    r.set_header("Location", "/fhir/r4/" + v.type + "/" + v.id + "/_history/" + std::to_string(v.version));
  }
  return r;
}

Result<std::optional<int64_t>> if_match(const Request& req) {
  std::string_view v = req.header("if-match");
  if (v.empty()) return std::optional<int64_t>();
  if (v.substr(0, 2) == "W/") v.remove_prefix(2);
  if (v.size() < 3 || v.front() != '"' || v.back() != '"') return Status::invalid("If-Match must be W/\"<version>\"");
  v = v.substr(1, v.size() - 2);
  int64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9' || n > 1'000'000'000) return Status::invalid("If-Match must be W/\"<version>\"");
    n = n * 10 + (c - '0');
  }
  return std::optional<int64_t>(n);
}

// Parses and validates a resource body; a Response (400/422 OperationOutcome) on failure.
// For an update, `id` is the id of the URL, which the resource must carry.
// `prepare` runs before validation (documents: their data is moved aside into the vault).
std::variant<json, Response> parse_resource(const fhir::Validator& validator, const Request& req, std::string_view type,
                                            std::string_view id = {},
                                            const std::function<Status(json&)>& prepare = {}) {
  if (!json_body(req)) return outcome(415, "not-supported", "send the resource as application/fhir+json", req.request_id);
  auto doc = json::parse(body_text(req), nullptr, false);
  if (doc.is_discarded()) return outcome(400, "structure", "body is not valid JSON", req.request_id);
  if (!doc.is_object()) return outcome(400, "structure", "a resource must be a JSON object", req.request_id);
  if (!id.empty() && (!doc.contains("id") || doc["id"] != id)) {
    return outcome(400, "invalid", "the resource's id must match the URL", req.request_id, std::string(type) + ".id");
  }
  if (prepare) {
    Status s = prepare(doc);
    if (!s.is_ok()) return outcome(s, req.request_id);
  }
  if (type == "Observation") {
    Status s = check_measurement(doc);
    if (!s.is_ok()) return outcome(s, req.request_id);
  }
  auto issues = validator.validate(doc, type);
  if (!issues.empty()) return validation_outcome(issues, req.request_id);
  return doc;
}

}  // namespace

namespace fhir_rest {

Response validation_outcome(const std::vector<fhir::ValidationIssue>& issues,
                            [[maybe_unused]] std::string_view request_id) {
  json list = json::array();
  for (const auto& i : issues) {
    list.push_back({{"severity", "error"}, {"code", i.code}, {"diagnostics", i.message}, {"expression", json::array({i.expression})}});
  }
  Response r = Response::text(422, json{{"resourceType", "OperationOutcome"}, {"issue", list}}.dump(), kFhirJson);
  return r;
}

}  // namespace fhir_rest

std::vector<Route> fhir_routes(identity::Accounts& accounts, access::Gate& gate, store::Store& store,
                               const crypto::KeyRing& ring, const Clock& clock, documents::Vault& vault) {
  auto resources = std::make_shared<fhir::ResourceStore>(ring, clock);
  const fhir::Validator& validator = fhir::Validator::r4();
  std::vector<Route> routes;

  // The caller and the compartment of the addressed type, or an OperationOutcome.
  using Entered = std::pair<Call, Target>;
  auto enter = [&accounts, &gate](const Request& req, access::Action action,
                                  bool read_current = false) -> std::variant<Entered, Response> {
    auto call = authenticate_call(accounts, gate, req, /*confirmed_by_gate=*/true);
    if (!call.is_ok()) return outcome(call.status(), req.request_id);
    auto target = authorize_call(accounts, *call, req, req.param("type"), action, req.param("id"), {}, read_current);
    if (!target.is_ok()) return outcome(target.status(), req.request_id);
    return Entered{std::move(*call), std::move(*target)};
  };

  // Patient/$summary (HL7 IPS): the holder's own, or a patient's for a professional.
  auto summary = [&, resources](const Request& req, std::string id) -> Response {
    auto call = authenticate_call(accounts, gate, req);
    if (!call.is_ok()) return outcome(call.status(), req.request_id);
    if (!wants_json(req)) return not_acceptable(req);
    if (id.empty()) {
      if (call->caller.acting_space.empty()) {
        return outcome(400, "required", "name the patient: GET Patient/{id}/$summary", req.request_id);
      }
      id = call->caller.acting_space;
    }
    if (call->caller.actor.kind != access::ActorKind::kProfessional && id != call->caller.acting_space) {
      return outcome(403, "forbidden", "only the summary of your own space (or of a space you act for)", req.request_id);
    }
    // The person's record as a whole: decided (and audited) like a search of it.
    auto target = authorize(*call, "Patient", access::Action::kSearch, {}, "Patient/" + id);
    if (!target.is_ok()) return outcome(target.status(), req.request_id);
    return patient_summary(store, *resources, *call, *target, req);
  };
  routes.push_back({"GET", "/fhir/r4/Patient/$summary", "Patient/$summary",
                    [summary](const Request& req) { return summary(req, ""); }});
  routes.push_back({"GET", "/fhir/r4/Patient/{id}/$summary", "Patient/{id}/$summary",
                    [summary](const Request& req) { return summary(req, std::string(req.param("id"))); }});
  routes.push_back({"GET", "/fhir/r4/{type}/{id}", "", [&, enter, resources](const Request& req) {
                      // Audit events and document bytes are read by their own code.
                      std::string_view type = req.param("type");
                      auto t = enter(req, access::Action::kRead, type != "AuditEvent" && type != "Binary");
                      if (auto* r = std::get_if<Response>(&t)) return std::move(*r);
                      [[maybe_unused]] auto& call = std::get<Entered>(t).first;
                      auto& target = std::get<Entered>(t).second;
                      if (target.type->name == "AuditEvent") return audit_read(gate.audit(), store, target, req);
                      if (target.type->name == "Binary") return binary_download(vault, store, *resources, target, req, {});
                      // The version row and the space's key need no common snapshot (nor with the
                      // access facts, which read them already unless the type has no space).
                      return run(store, req, store::TxMode::kReadEach, [&](store::Transaction& tx) -> Result<Response> {
                        auto v = target.current
                                     ? resources->open_current(tx, target.compartment, target.type->name,
                                                               req.param("id"), *target.current)
                                     : resources->read(tx, target.compartment, target.type->name, req.param("id"));
                        if (!v.is_ok()) return v.status();
                        return versioned(200, *v, req);
                      });
                    }});
  routes.push_back({"GET", "/fhir/r4/{type}/{id}/_history/{vid}", "", [&, enter, resources](const Request& req) {
                      auto t = enter(req, access::Action::kRead);
                      if (auto* r = std::get_if<Response>(&t)) return std::move(*r);
                      [[maybe_unused]] auto& call = std::get<Entered>(t).first;
                      auto& target = std::get<Entered>(t).second;
                      std::string vid(req.param("vid"));
                      if (vid.empty() || vid.size() > 9 || vid.find_first_not_of("0123456789") != std::string::npos) {
                        return outcome(400, "invalid", "version id must be a number", req.request_id);
                      }
                      if (target.type->name == "Binary") return binary_download(vault, store, *resources, target, req, std::stoll(vid));
                      return run(store, req, false, [&](store::Transaction& tx) -> Result<Response> {
                        auto v = resources->vread(tx, target.compartment, target.type->name, req.param("id"), std::stoll(vid));
                        if (!v.is_ok()) return v.status();
                        if (v->deleted) return Status::gone("version " + vid + " is a deletion");
                        return versioned(200, *v, req);
                      });
                    }});
  routes.push_back({"GET", "/fhir/r4/{type}/{id}/_history", "", [&, enter, resources](const Request& req) {
                      auto t = enter(req, access::Action::kRead);
                      if (auto* r = std::get_if<Response>(&t)) return std::move(*r);
                      [[maybe_unused]] auto& call = std::get<Entered>(t).first;
                      auto& target = std::get<Entered>(t).second;
                      return run(store, req, false, [&](store::Transaction& tx) -> Result<Response> {
                        json bundle = {{"resourceType", "Bundle"}, {"type", "history"}, {"entry", json::array()}};
                        std::string rel = std::string(target.type->name) + "/" + std::string(req.param("id"));
                        std::string base = base_url(req);
                        CARNET_RETURN_IF_ERROR(resources->history(
                            tx, target.compartment, target.type->name, req.param("id"), [&](const fhir::ResourceVersion& v) {
                              bundle["entry"].push_back(history_entry(base, v));
                              return Status::ok();
                            }));
                        if (bundle["entry"].empty()) return Status::not_found(rel + " does not exist");
                        bundle["total"] = bundle["entry"].size();
                        return Response::text(200, bundle.dump(), kFhirJson);
                      });
                    }});
  routes.push_back({"POST", "/fhir/r4/{type}", "", [&, resources](const Request& req) {
                      auto call = authenticate_call(accounts, gate, req);
                      if (!call.is_ok()) return outcome(call.status(), req.request_id);
                      if (!wants_json(req)) return not_acceptable(req);
                      if (!fhir::find_resource_type(req.param("type"))) {
                        return outcome(Status::not_found("resource type '" + std::string(req.param("type").substr(0, 40)) +
                                                         "' is not supported"),
                                       req.request_id);
                      }
                      // Access first; for a professional, the patient the resource concerns names
                      // the space, so their body is read before.
                      bool professional = call->caller.actor.kind == access::ActorKind::kProfessional;
                      Result<Target> target = Status::internal("not authorized yet");
                      if (!professional) {
                        target = authorize(*call, req.param("type"), access::Action::kCreate);
                        if (!target.is_ok()) return outcome(target.status(), req.request_id);
                      }
                      FhirBodySink* sink = fhir_sink(req);
                      DocumentStaging staging(vault, sink);
                      json doc;
                      if (sink && !sink->is_json()) {
                        // A document posted as itself (its own content type): a Binary.
                        doc = {{"resourceType", "Binary"}, {"contentType", std::string(req.header("content-type"))}};
                        std::string context(req.header("x-security-context"));
                        if (!context.empty()) doc["securityContext"] = {{"reference", context}};
                        auto issues = validator.validate(doc, "Binary");
                        if (!issues.empty()) return validation_outcome(issues, req.request_id);
                        Status staged = staging.stage_raw(*sink->take_raw(), doc.value("contentType", ""), 0);
                        if (!staged.is_ok()) return outcome(staged, req.request_id);
                      } else {
                        std::string type(req.param("type"));
                        auto parsed = parse_resource(validator, req, type, {},
                                                     [&](json& d) { return staging.stage(*call, d, type, type, 0); });
                        if (auto* r = std::get_if<Response>(&parsed)) return std::move(*r);
                        doc = std::move(std::get<json>(parsed));
                      }
                      std::string patient = patient_of_resource(doc);
                      if (patient.empty() && req.param("type") == "Binary") {
                        patient = fhir::normalize_reference(doc.value("securityContext", json::object()).value("reference", ""));
                      }
                      if (professional) {
                        target = authorize(*call, req.param("type"), access::Action::kCreate, {}, patient);
                        if (!target.is_ok()) return outcome(target.status(), req.request_id);
                      }
                      if (Status taken = all_documents_taken(req); !taken.is_ok()) return outcome(taken, req.request_id);
                      std::optional<fhir::SearchQuery> condition;
                      if (std::string_view ine = req.header("if-none-exist"); !ine.empty()) {
                        auto q = if_none_exist(target->type->name, ine);
                        if (!q.is_ok()) return outcome(q.status(), req.request_id);
                        condition = std::move(*q);
                      }
                      bool created = false;
                      Response out = run(store, req, true, [&](store::Transaction& tx) -> Result<Response> {
                        auto c = create_resource(tx, *resources, *call, *target, doc, condition, {}, &staging, 0);
                        if (!c.is_ok()) return c.status();
                        created = c->created;
                        return versioned(c->created ? 201 : 200, c->version, req);
                      });
                      if (created && out.status < 300) staging.committed();
                      return out;
                    }, kDocumentBodyLimit, Execution::kWorker, fhir_body_sink(vault, kResourceLimit)});
  routes.push_back({"PUT", "/fhir/r4/{type}/{id}", "", [&, enter, resources](const Request& req) {
                      auto t = enter(req, access::Action::kUpdate);
                      if (auto* r = std::get_if<Response>(&t)) return std::move(*r);
                      [[maybe_unused]] auto& call = std::get<Entered>(t).first;
                      auto& target = std::get<Entered>(t).second;
                      if (!wants_json(req)) return not_acceptable(req);
                      auto expected = if_match(req);
                      if (!expected.is_ok()) return outcome(expected.status(), req.request_id);
                      FhirBodySink* sink = fhir_sink(req);
                      DocumentStaging staging(vault, sink);
                      std::string type(target.type->name);
                      auto parsed = parse_resource(validator, req, type, req.param("id"),
                                                   [&](json& d) { return staging.stage(call, d, type, type, 0); });
                      if (auto* r = std::get_if<Response>(&parsed)) return std::move(*r);
                      json& doc = std::get<json>(parsed);
                      if (Status taken = all_documents_taken(req); !taken.is_ok()) return outcome(taken, req.request_id);
                      bool written = false;
                      Response out = run(store, req, true, [&](store::Transaction& tx) -> Result<Response> {
                        CARNET_RETURN_IF_ERROR(staging.before_write(tx, *resources, call, target, doc, req.param("id"), 0));
                        auto v = resources->update(tx, target.compartment, target.type->name, req.param("id"), doc.dump(), *expected);
                        if (!v.is_ok()) return v.status();
                        CARNET_RETURN_IF_ERROR(record_author(tx, call, target, *v));
                        CARNET_RETURN_IF_ERROR(staging.after_write(tx, *resources, call, target, *v, 0));
                        CARNET_RETURN_IF_ERROR(derive_bmi(tx, *resources, call, target, doc));
                        written = true;
                        return versioned(v->version == 1 ? 201 : 200, *v, req);
                      });
                      if (written && out.status < 300) staging.committed();
                      return out;
                    }, kDocumentBodyLimit, Execution::kWorker, fhir_body_sink(vault, kResourceLimit)});
  routes.push_back({"DELETE", "/fhir/r4/{type}/{id}", "", [&, enter, resources](const Request& req) {
                      auto t = enter(req, access::Action::kDelete);
                      if (auto* r = std::get_if<Response>(&t)) return std::move(*r);
                      [[maybe_unused]] auto& call = std::get<Entered>(t).first;
                      auto& target = std::get<Entered>(t).second;
                      return run(store, req, true, [&](store::Transaction& tx) -> Result<Response> {
                        // A document's bytes go with it.
                        if (target.type->name == "DocumentReference") {
                          auto cur = resources->read(tx, target.compartment, "DocumentReference", req.param("id"));
                          if (cur.is_ok()) {
                            for (const auto& b : fhir::attachment_binaries(json::parse(cur->json))) {
                              CARNET_RETURN_IF_ERROR(resources->remove(tx, target.compartment, "Binary", b).status());
                            }
                          }
                        }
                        auto v = resources->remove(tx, target.compartment, target.type->name, req.param("id"));
                        if (!v.is_ok()) return v.status();
                        Response r = Response::empty(204);
                        if (*v) r.set_header("ETag", "W/\"" + std::to_string(**v) + "\"");
                        return r;
                      });
                    }});
  add_search_routes(routes, accounts, gate, store, resources);
  add_bundle_routes(routes, accounts, gate, store, resources, validator, vault);
  routes.push_back(capability_route(routes));
  return routes;
}

}  // namespace carnet::api
