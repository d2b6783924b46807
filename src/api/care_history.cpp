// The readable history of accesses to the holder's space, and of their own actions apart.
#include <nlohmann/json.hpp>

#include "api/care_handlers.h"
#include "api/fhir_common.h"
#include "api/json_body.h"

namespace carnet::api::care {

using json = nlohmann::json;

namespace {

// Who accessed the space (by_holder false), or what the holder did (true), newest first.
Response events(const Services& svc, const Request& req, const access::Caller& c, bool by_holder) {
  auto pairs = fhir_rest::decode_form(req.query);
  if (!pairs.is_ok()) return error_response(pairs.status(), req.request_id);
  int64_t before = 0;
  for (const auto& [k, v] : *pairs) {
    if (k != "before" || v.empty() || v.size() > 15 || v.find_first_not_of("0123456789") != std::string::npos) {
      return error_response(400, "invalid", "only 'before' (an event number) is accepted", req.request_id);
    }
    before = std::stoll(v);
  }
  auto events = svc.care.history(c, by_holder, before);
  if (!events.is_ok()) return error_response(events.status(), req.request_id);
  json out = json::array();
  for (const auto& e : *events) out.push_back(event_json(e));
  return named_list(svc.care, req, "events", std::move(out), "actor_id", "actor_",
                    [](const json& e) { return e["actor_kind"] == "professional"; });
}

}  // namespace

Response history(const Services& svc, const Request& req, const access::Caller& c) { return events(svc, req, c, false); }
Response my_actions(const Services& svc, const Request& req, const access::Caller& c) { return events(svc, req, c, true); }

}  // namespace carnet::api::care
