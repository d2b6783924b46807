// The audit trail of a space as read-only FHIR AuditEvent resources (GET /fhir/r4/AuditEvent
// and AuditEvent/{id}), generated from the hash-chained events: who (a professional by their
// RPPS number), what (the interaction and the resource), when, the outcome and its reason,
// and emergency access marked as such. Ids are the events' numbers in the space's chain.
#include <nlohmann/json.hpp>

#include "api/fhir_handlers.h"
#include "fhir/datetime.h"

namespace carnet::api::fhir_rest {
namespace {

using json = nlohmann::json;

json to_fhir(const access::AuditEvent& e) {
  static const std::map<std::string, std::pair<const char*, const char*>> kInteractions = {
      {"read", {"read", "R"}}, {"search", {"search-type", "E"}}, {"create", {"create", "C"}},
      {"update", {"update", "U"}}, {"delete", {"delete", "D"}}};
  auto interaction = kInteractions.find(e.action);
  json subtype = interaction != kInteractions.end()
                     ? json{{"system", "http://hl7.org/fhir/restful-interaction"}, {"code", interaction->second.first}}
                     : json{{"system", "https://carnet.sante.fr/fhir/CodeSystem/access-action"}, {"code", e.action}};
  json who;
  if (e.actor_kind == "professional") {
    who = {{"identifier", {{"system", "urn:oid:1.2.250.1.71.4.2.1"}, {"value", e.actor_id}}}};
  } else {
    who = {{"display", e.actor_kind}};
  }
  json agent = {{"type", {{"text", e.actor_kind}}}, {"who", who}, {"requestor", true}};
  if (!e.client_address.empty()) agent["network"] = {{"address", e.client_address}, {"type", "2"}};
  json r = {{"resourceType", "AuditEvent"},
            {"id", std::to_string(e.seq)},
            {"meta", {{"versionId", "1"}, {"lastUpdated", e.at}}},
            {"type", {{"system", "http://dicom.nema.org/resources/ontology/DCM"}, {"code", "110110"}, {"display", "Patient Record"}}},
            {"subtype", json::array({subtype})},
            {"action", interaction != kInteractions.end() ? interaction->second.second : "E"},
            {"recorded", e.at},
            {"outcome", e.outcome == "denied" ? "4" : "0"},
            {"agent", json::array({agent})},
            {"source", {{"observer", {{"display", "Carnet"}}}}}};
  if (!e.reason.empty()) r["outcomeDesc"] = e.reason;
  if (e.emergency) {
    r["purposeOfEvent"] = json::array(
        {{{"coding", json::array({{{"system", "http://terminology.hl7.org/CodeSystem/v3-ActReason"}, {"code", "ETREAT"}}})}}});
  }
  if (!e.resource_type.empty()) {
    json what = e.resource_id.empty() ? json{{"display", e.resource_type}}
                                      : json{{"reference", e.resource_type + "/" + e.resource_id}};
    r["entity"] = json::array({{{"what", what}}});
  }
  return r;
}

}  // namespace

Result<Response> audit_read(access::Repository& repo, const Request& req) {
  std::string id(req.param("id"));
  if (id.empty() || id.size() > 15 || id.find_first_not_of("0123456789") != std::string::npos) {
    return Status::not_found("AuditEvent/" + id.substr(0, 40) + " does not exist");
  }
  auto e = repo.audit_event(std::stoll(id));
  if (!e.is_ok()) return e.status();
  if (!*e) return Status::not_found("AuditEvent/" + id + " does not exist");
  return Response::text(200, to_fhir(**e).dump(), kFhirJson);
}

Result<Response> audit_search(access::Repository& repo, const Request& req,
                              const std::vector<std::pair<std::string, std::string>>& params) {
  int count = fhir::kDefaultPageSize;
  int64_t before = 0;
  for (const auto& [name, value] : params) {
    bool number = !value.empty() && value.size() <= 15 && value.find_first_not_of("0123456789") == std::string::npos;
    if (name == "_count" && number) {
      count = static_cast<int>(std::min<int64_t>(std::stoll(value), fhir::kMaxPageSize));
    } else if (name == "_cursor" && number) {
      before = std::stoll(value);
    } else if (name != "_format" && name != "patient" && name != "subject") {
      return Status::invalid("the audit trail is read newest first, a page at a time: only _count and the links' _cursor apply");
    }
  }
  if (count < 1) count = 1;
  auto events = repo.audit_trail(patient_of_search("AuditEvent", params), before, count + 1);
  if (!events.is_ok()) return events.status();
  std::string base = base_url(req);
  bool more = events->size() > static_cast<size_t>(count);
  if (more) events->pop_back();
  json entries = json::array();
  for (const auto& e : *events) {
    entries.push_back({{"fullUrl", base + "/AuditEvent/" + std::to_string(e.seq)}, {"resource", to_fhir(e)},
                       {"search", {{"mode", "match"}}}});
  }
  json links = json::array({{{"relation", "self"}, {"url", base + "/AuditEvent?_count=" + std::to_string(count) +
                                                                (before ? "&_cursor=" + std::to_string(before) : "")}}});
  if (more && !events->empty()) {
    links.push_back({{"relation", "next"}, {"url", base + "/AuditEvent?_count=" + std::to_string(count) +
                                                       "&_cursor=" + std::to_string(events->back().seq)}});
  }
  json bundle = {{"resourceType", "Bundle"}, {"type", "searchset"}, {"link", links}};
  if (!entries.empty()) bundle["entry"] = entries;
  return Response::text(200, bundle.dump(), kFhirJson);
}

}  // namespace carnet::api::fhir_rest
