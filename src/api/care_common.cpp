#include "api/care_handlers.h"

#include <functional>

#include <nlohmann/json.hpp>

#include "api/fhir_common.h"

namespace carnet::api::care {

using json = nlohmann::json;

Response as_caller(const Services& svc, const Request& req, CareHandler handler) {
  auto caller = fhir_rest::authenticate_caller(svc.accounts, req);
  if (!caller.is_ok()) return error_response(caller.status(), req.request_id);
  return handler(svc, req, *caller);
}

Response done(const Status& s, const Request& req, int ok_status) {
  if (!s.is_ok()) return error_response(s, req.request_id);
  return Response::empty(ok_status);
}

// A JSON object with boolean fields only (all of `fields` required).
Result<std::map<std::string, bool>> read_flags(const Request& req, std::initializer_list<std::string_view> fields) {
  std::string_view ct = req.header("content-type");
  if (ct.substr(0, ct.find(';')) != "application/json") return Status::invalid("send application/json");
  auto doc = json::parse(req.body, nullptr, false);
  if (!doc.is_object()) return Status::invalid("the body must be a JSON object");
  std::map<std::string, bool> out;
  for (auto f : fields) {
    auto it = doc.find(std::string(f));
    if (it == doc.end() || !it->is_boolean()) return Status::invalid("'" + std::string(f) + "' must be true or false");
    out[std::string(f)] = it->get<bool>();
  }
  if (doc.size() != out.size()) return Status::invalid("unknown fields in the body");
  return out;
}

json event_json(const access::AuditEvent& e) {
  return {{"seq", e.seq},         {"at", e.at},           {"actor_kind", e.actor_kind}, {"actor_id", e.actor_id},
          {"action", e.action},   {"resource_type", e.resource_type},                  {"resource_id", e.resource_id},
          {"outcome", e.outcome}, {"reason", e.reason},   {"emergency", e.emergency}};
}

namespace {

// Adds the directory's name and profession to each entry that names a professional (field
// `id_field`), so that lists read "Dr Claire MARTIN (Médecin)" rather than an RPPS number.
Status name_professionals(access::Care& care, json& entries, const std::string& id_field, const std::string& prefix,
                          const std::function<bool(const json&)>& is_professional) {
  std::vector<std::string> ids;
  for (const auto& e : entries) {
    if (is_professional(e)) ids.push_back(e[id_field].get<std::string>());
  }
  if (ids.empty()) return Status::ok();
  auto names = care.professionals(ids);
  if (!names.is_ok()) return names.status();
  for (auto& e : entries) {
    if (!is_professional(e)) continue;
    auto it = names->find(e[id_field].get<std::string>());
    if (it == names->end()) continue;
    e[prefix + "name"] = it->second.name;
    e[prefix + "profession"] = it->second.profession;
  }
  return Status::ok();
}

}  // namespace

Response named_list(access::Care& care, const Request& req, const char* key, json list, const std::string& id_field,
                    const std::string& prefix, const std::function<bool(const json&)>& is_professional) {
  Status s = name_professionals(care, list, id_field, prefix, is_professional);
  if (!s.is_ok()) return error_response(s, req.request_id);
  return Response::json(200, json{{key, list}}.dump());
}

}  // namespace carnet::api::care
