#include "api/care_routes.h"

#include <nlohmann/json.hpp>

#include <functional>

#include "api/account_routes.h"
#include "api/fhir_common.h"
#include "api/json_body.h"

namespace carnet::api {
namespace {

using json = nlohmann::json;
constexpr uint64_t kSmallJson = 4 * 1024;

Response done(const Status& s, const Request& req, int ok_status = 204) {
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

Response named_list(access::Care& care, const Request& req, const char* key, json list, const std::string& id_field,
                    const std::string& prefix, const std::function<bool(const json&)>& is_professional) {
  Status s = name_professionals(care, list, id_field, prefix, is_professional);
  if (!s.is_ok()) return error_response(s, req.request_id);
  return Response::json(200, json{{key, list}}.dump());
}

}  // namespace

std::vector<Route> care_routes(identity::Accounts& accounts, access::Care& care) {
  std::vector<Route> routes;
  // A handler of the caller as the access gate sees them; an error response when the
  // request is not authenticated.
  auto with_caller = [&accounts](auto body) {
    return [&accounts, body](const Request& req) -> Response {
      auto caller = fhir_rest::authenticate_caller(accounts, req);
      if (!caller.is_ok()) return error_response(caller.status(), req.request_id);
      return body(req, *caller);
    };
  };

  // Professionals.
  routes.push_back({"POST", "/api/v1/care/patients/lookup", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      auto f = read_string_fields(req, {"nir", "birth_date"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      auto found = care.find_patient(c, (*f)["nir"], (*f)["birth_date"]);
                      if (!found.is_ok()) return error_response(found.status(), req.request_id);
                      // The identity traits, for the professional to check it is the person in front of them.
                      return Response::json(200, json{{"space_id", found->space_id},
                                                      {"patient", "Patient/" + found->space_id},
                                                      {"birth_name", found->birth_name},
                                                      {"first_names", found->first_names},
                                                      {"birth_date", found->birth_date},
                                                      {"sex", found->sex}}
                                                     .dump());
                    }), kSmallJson});
  routes.push_back({"POST", "/api/v1/care/spaces/{space}/care-team", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      return done(care.declare_care_team(c, req.param("space")), req);
                    }), kSmallJson});
  routes.push_back({"POST", "/api/v1/care/spaces/{space}/emergency", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      auto f = read_string_fields(req, {"reason"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      return done(care.emergency(c, req.param("space"), (*f)["reason"]), req);
                    }), kSmallJson});

  routes.push_back({"POST", "/api/v1/care/spaces/{space}/consent", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      auto f = read_string_fields(req, {"code"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      return done(care.consent_with_code(c, req.param("space"), (*f)["code"]), req);
                    }), kSmallJson});

  // The holder (or a representative) in their acting space.
  routes.push_back({"POST", "/api/v1/care/consultation-codes", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      auto code = care.consultation_code(c);
                      if (!code.is_ok()) return error_response(code.status(), req.request_id);
                      return Response::json(201, json{{"code", *code}, {"valid_minutes", 10}}.dump());
                    })});
  routes.push_back({"GET", "/api/v1/care/relationships", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      auto list = care.relationships(c);
                      if (!list.is_ok()) return error_response(list.status(), req.request_id);
                      json out = json::array();
                      for (const auto& r : *list) {
                        out.push_back({{"idnatps", r.idnatps}, {"kind", r.kind}, {"since", r.since},
                                       {"expires_at", r.expires_at}});
                      }
                      return named_list(care, req, "relationships", std::move(out), "idnatps", "", [](const json&) { return true; });
                    })});
  routes.push_back({"PUT", "/api/v1/care/designated-physician", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      auto f = read_string_fields(req, {"idnatps"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      return done(care.designate_physician(c, (*f)["idnatps"]), req);
                    }), kSmallJson});
  routes.push_back({"POST", "/api/v1/care/consents", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      auto f = read_string_fields(req, {"idnatps"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      return done(care.grant_consent(c, (*f)["idnatps"]), req);
                    }), kSmallJson});
  routes.push_back({"DELETE", "/api/v1/care/relationships/{idnatps}", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      return done(care.remove_relationship(c, req.param("idnatps")), req);
                    })});
  routes.push_back({"PUT", "/api/v1/care/blocks/{idnatps}", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      auto f = read_flags(req, {"emergency_allowed"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      return done(care.block(c, req.param("idnatps"), (*f)["emergency_allowed"]), req);
                    }), kSmallJson});
  routes.push_back({"GET", "/api/v1/care/blocks", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      auto list = care.blocks(c);
                      if (!list.is_ok()) return error_response(list.status(), req.request_id);
                      json out = json::array();
                      for (const auto& b : *list) {
                        out.push_back({{"idnatps", b.idnatps}, {"since", b.since}, {"emergency_allowed", b.emergency_allowed}});
                      }
                      return named_list(care, req, "blocks", std::move(out), "idnatps", "", [](const json&) { return true; });
                    })});
  routes.push_back({"GET", "/api/v1/care/hidden", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      auto list = care.hidden(c);
                      if (!list.is_ok()) return error_response(list.status(), req.request_id);
                      json out = json::array();
                      for (const auto& h : *list) {
                        out.push_back({{"resource_type", h.type}, {"resource_id", h.id},
                                       {"from_professionals", h.from_professionals},
                                       {"from_representatives", h.from_representatives}});
                      }
                      return Response::json(200, json{{"hidden", out}}.dump());
                    })});
  routes.push_back({"GET", "/api/v1/care/settings", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      auto forbidden = care.emergency_forbidden(c);
                      if (!forbidden.is_ok()) return error_response(forbidden.status(), req.request_id);
                      return Response::json(200, json{{"emergency_forbidden", *forbidden}}.dump());
                    })});
  routes.push_back({"DELETE", "/api/v1/care/blocks/{idnatps}", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      return done(care.unblock(c, req.param("idnatps")), req);
                    })});
  routes.push_back({"PUT", "/api/v1/care/hidden/{type}/{id}", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      auto f = read_flags(req, {"from_professionals", "from_representatives"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      return done(care.set_hidden(c, req.param("type"), req.param("id"), (*f)["from_professionals"],
                                                  (*f)["from_representatives"]),
                                  req);
                    }), kSmallJson});
  routes.push_back({"PUT", "/api/v1/care/settings", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      auto f = read_flags(req, {"emergency_forbidden"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      return done(care.forbid_emergency(c, (*f)["emergency_forbidden"]), req);
                    }), kSmallJson});
  routes.push_back({"POST", "/api/v1/care/delegations", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      auto f = read_string_fields(req, {"login", "rights"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      return done(care.delegate(c, (*f)["login"], (*f)["rights"]), req);
                    }), kSmallJson});
  routes.push_back({"GET", "/api/v1/care/delegations", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      auto list = care.delegations(c);
                      if (!list.is_ok()) return error_response(list.status(), req.request_id);
                      json out = json::array();
                      for (const auto& d : *list) {
                        out.push_back({{"delegate_space_id", d.delegate_space_id}, {"rights", d.rights}, {"since", d.since}});
                      }
                      return Response::json(200, json{{"delegations", out}}.dump());
                    })});
  routes.push_back({"DELETE", "/api/v1/care/delegations/{space}", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      return done(care.revoke_delegation(c, req.param("space")), req);
                    })});
  routes.push_back({"GET", "/api/v1/care/notifications", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      auto prefs = care.notifications(c);
                      if (!prefs.is_ok()) return error_response(prefs.status(), req.request_id);
                      return Response::json(200, json(*prefs).dump());
                    })});
  routes.push_back({"PUT", "/api/v1/care/notifications/{kind}", "", with_caller([&care](const Request& req, const access::Caller& c) {
                      auto f = read_string_fields(req, {"channel"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      return done(care.set_notification(c, req.param("kind"), (*f)["channel"]), req);
                    }), kSmallJson});
  // Who accessed the space (access history) and what the holder did (their own history).
  for (bool by_holder : {false, true}) {
    routes.push_back({"GET", by_holder ? "/api/v1/care/my-actions" : "/api/v1/care/history", "",
                      with_caller([&care, by_holder](const Request& req, const access::Caller& c) {
                        auto pairs = fhir_rest::decode_form(req.query);
                        if (!pairs.is_ok()) return error_response(pairs.status(), req.request_id);
                        int64_t before = 0;
                        for (const auto& [k, v] : *pairs) {
                          if (k != "before" || v.empty() || v.size() > 15 || v.find_first_not_of("0123456789") != std::string::npos) {
                            return error_response(400, "invalid", "only 'before' (an event number) is accepted", req.request_id);
                          }
                          before = std::stoll(v);
                        }
                        auto events = care.history(c, by_holder, before);
                        if (!events.is_ok()) return error_response(events.status(), req.request_id);
                        json out = json::array();
                        for (const auto& e : *events) out.push_back(event_json(e));
                        return named_list(care, req, "events", std::move(out), "actor_id", "actor_",
                                          [](const json& e) { return e["actor_kind"] == "professional"; });
                      })});
  }
  return routes;
}

}  // namespace carnet::api
