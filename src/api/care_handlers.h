// /api/v1/care handlers: how professionals come to treat a person, how the holder steers who
// reads their space (access/care.h), and the readable histories. French messages are the
// portal's; these answers carry codes and English messages, as the rest of /api/v1. Each
// runs for the authenticated caller (as_caller); routes: routes.cpp.
#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "access/audit.h"
#include "access/care.h"
#include "access/caller.h"
#include "api/http_types.h"
#include "api/services.h"

namespace carnet::api::care {

using CareHandler = Response (*)(const Services& svc, const Request& req, const access::Caller& c);
// Authenticates the caller and runs `handler` for them (an error response when not signed in).
Response as_caller(const Services& svc, const Request& req, CareHandler handler);

Response find_patient(const Services& svc, const Request& req, const access::Caller& c);  // POST /api/v1/care/patients/lookup
Response declare_care_team(const Services& svc, const Request& req, const access::Caller& c);  // POST /api/v1/care/spaces/{space}/care-team
Response emergency_access(const Services& svc, const Request& req, const access::Caller& c);  // POST /api/v1/care/spaces/{space}/emergency
Response consent_with_code(const Services& svc, const Request& req, const access::Caller& c);  // POST /api/v1/care/spaces/{space}/consent
Response consultation_code(const Services& svc, const Request& req, const access::Caller& c);  // POST /api/v1/care/consultation-codes
Response relationships(const Services& svc, const Request& req, const access::Caller& c);  // GET /api/v1/care/relationships
Response designate_physician(const Services& svc, const Request& req, const access::Caller& c);  // PUT /api/v1/care/designated-physician
Response grant_consent(const Services& svc, const Request& req, const access::Caller& c);  // POST /api/v1/care/consents
Response remove_relationship(const Services& svc, const Request& req, const access::Caller& c);  // DELETE /api/v1/care/relationships/{idnatps}
Response block(const Services& svc, const Request& req, const access::Caller& c);  // PUT /api/v1/care/blocks/{idnatps}
Response blocks(const Services& svc, const Request& req, const access::Caller& c);  // GET /api/v1/care/blocks
Response unblock(const Services& svc, const Request& req, const access::Caller& c);  // DELETE /api/v1/care/blocks/{idnatps}
Response hidden(const Services& svc, const Request& req, const access::Caller& c);  // GET /api/v1/care/hidden
Response set_hidden(const Services& svc, const Request& req, const access::Caller& c);  // PUT /api/v1/care/hidden/{type}/{id}
Response settings(const Services& svc, const Request& req, const access::Caller& c);  // GET /api/v1/care/settings
Response set_settings(const Services& svc, const Request& req, const access::Caller& c);  // PUT /api/v1/care/settings
Response delegate(const Services& svc, const Request& req, const access::Caller& c);  // POST /api/v1/care/delegations
Response delegations(const Services& svc, const Request& req, const access::Caller& c);  // GET /api/v1/care/delegations
Response revoke_delegation(const Services& svc, const Request& req, const access::Caller& c);  // DELETE /api/v1/care/delegations/{space}
Response notifications(const Services& svc, const Request& req, const access::Caller& c);  // GET /api/v1/care/notifications
Response set_notification(const Services& svc, const Request& req, const access::Caller& c);  // PUT /api/v1/care/notifications/{kind}
Response history(const Services& svc, const Request& req, const access::Caller& c);     // GET /api/v1/care/history
Response my_actions(const Services& svc, const Request& req, const access::Caller& c);  // GET /api/v1/care/my-actions

// Shared by the care handlers (care_common.cpp).
Response done(const Status& s, const Request& req, int ok_status = 204);
// A JSON object with boolean fields only (all of `fields` required).
Result<std::map<std::string, bool>> read_flags(const Request& req, std::initializer_list<std::string_view> fields);
nlohmann::json event_json(const access::AuditEvent& e);
// A list of entries naming professionals (field `id_field`), each completed with the
// directory's name and profession, as {key: list}.
Response named_list(access::Care& care, const Request& req, const char* key, nlohmann::json list, const std::string& id_field,
                    const std::string& prefix, const std::function<bool(const nlohmann::json&)>& is_professional);

}  // namespace carnet::api::care
