// The holder (or a representative) steering who reads their space: relationships, blocks,
// hidden items, settings, delegations, notification channels (access/care.h).
#include <nlohmann/json.hpp>

#include "api/care_handlers.h"
#include "api/fhir_common.h"
#include "api/json_body.h"

namespace carnet::api::care {

using json = nlohmann::json;

Response consultation_code(const Services& svc, const Request& req, const access::Caller& c) {
  auto code = svc.care.consultation_code(c);
  if (!code.is_ok()) return error_response(code.status(), req.request_id);
  return Response::json(201, json{{"code", *code}, {"valid_minutes", 10}}.dump());
}

Response relationships(const Services& svc, const Request& req, const access::Caller& c) {
  auto list = svc.care.relationships(c);
  if (!list.is_ok()) return error_response(list.status(), req.request_id);
  json out = json::array();
  for (const auto& r : *list) {
    out.push_back({{"idnatps", r.idnatps}, {"kind", r.kind}, {"since", r.since},
                   {"expires_at", r.expires_at}});
  }
  return named_list(svc.care, req, "relationships", std::move(out), "idnatps", "", [](const json&) { return true; });
}

Response designate_physician(const Services& svc, const Request& req, const access::Caller& c) {
  auto f = read_string_fields(req, {"idnatps"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  return done(svc.care.designate_physician(c, (*f)["idnatps"]), req);
}

Response grant_consent(const Services& svc, const Request& req, const access::Caller& c) {
  auto f = read_string_fields(req, {"idnatps"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  return done(svc.care.grant_consent(c, (*f)["idnatps"]), req);
}

Response remove_relationship(const Services& svc, const Request& req, const access::Caller& c) {
  return done(svc.care.remove_relationship(c, req.param("idnatps")), req);
}

Response block(const Services& svc, const Request& req, const access::Caller& c) {
  auto f = read_flags(req, {"emergency_allowed"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  return done(svc.care.block(c, req.param("idnatps"), (*f)["emergency_allowed"]), req);
}

Response blocks(const Services& svc, const Request& req, const access::Caller& c) {
  auto list = svc.care.blocks(c);
  if (!list.is_ok()) return error_response(list.status(), req.request_id);
  json out = json::array();
  for (const auto& b : *list) {
    out.push_back({{"idnatps", b.idnatps}, {"since", b.since}, {"emergency_allowed", b.emergency_allowed}});
  }
  return named_list(svc.care, req, "blocks", std::move(out), "idnatps", "", [](const json&) { return true; });
}

Response unblock(const Services& svc, const Request& req, const access::Caller& c) {
  return done(svc.care.unblock(c, req.param("idnatps")), req);
}

Response hidden(const Services& svc, const Request& req, const access::Caller& c) {
  auto list = svc.care.hidden(c);
  if (!list.is_ok()) return error_response(list.status(), req.request_id);
  json out = json::array();
  for (const auto& h : *list) {
    out.push_back({{"resource_type", h.type}, {"resource_id", h.id},
                   {"from_professionals", h.from_professionals},
                   {"from_representatives", h.from_representatives}});
  }
  return Response::json(200, json{{"hidden", out}}.dump());
}

Response set_hidden(const Services& svc, const Request& req, const access::Caller& c) {
  auto f = read_flags(req, {"from_professionals", "from_representatives"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  return done(svc.care.set_hidden(c, req.param("type"), req.param("id"), (*f)["from_professionals"],
                              (*f)["from_representatives"]),
              req);
}

Response settings(const Services& svc, const Request& req, const access::Caller& c) {
  auto forbidden = svc.care.emergency_forbidden(c);
  if (!forbidden.is_ok()) return error_response(forbidden.status(), req.request_id);
  return Response::json(200, json{{"emergency_forbidden", *forbidden}}.dump());
}

Response set_settings(const Services& svc, const Request& req, const access::Caller& c) {
  auto f = read_flags(req, {"emergency_forbidden"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  return done(svc.care.forbid_emergency(c, (*f)["emergency_forbidden"]), req);
}

Response delegate(const Services& svc, const Request& req, const access::Caller& c) {
  auto f = read_string_fields(req, {"login", "rights"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  return done(svc.care.delegate(c, (*f)["login"], (*f)["rights"]), req);
}

Response delegations(const Services& svc, const Request& req, const access::Caller& c) {
  auto list = svc.care.delegations(c);
  if (!list.is_ok()) return error_response(list.status(), req.request_id);
  json out = json::array();
  for (const auto& d : *list) {
    out.push_back({{"delegate_space_id", d.delegate_space_id}, {"rights", d.rights}, {"since", d.since}});
  }
  return Response::json(200, json{{"delegations", out}}.dump());
}

Response revoke_delegation(const Services& svc, const Request& req, const access::Caller& c) {
  return done(svc.care.revoke_delegation(c, req.param("space")), req);
}

Response notifications(const Services& svc, const Request& req, const access::Caller& c) {
  auto prefs = svc.care.notifications(c);
  if (!prefs.is_ok()) return error_response(prefs.status(), req.request_id);
  return Response::json(200, json(*prefs).dump());
}

Response set_notification(const Services& svc, const Request& req, const access::Caller& c) {
  auto f = read_string_fields(req, {"channel"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  return done(svc.care.set_notification(c, req.param("kind"), (*f)["channel"]), req);
}

}  // namespace carnet::api::care
