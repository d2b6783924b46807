// How professionals come to treat a person: INS look-up, care-team declaration, emergency
// access, consent by the holder's code (access/care.h).
#include <nlohmann/json.hpp>

#include "api/care_handlers.h"
#include "api/fhir_common.h"
#include "api/json_body.h"

namespace carnet::api::care {

using json = nlohmann::json;

Response find_patient(const Services& svc, const Request& req, const access::Caller& c) {
  auto f = read_string_fields(req, {"nir", "birth_date"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  auto found = svc.care.find_patient(c, (*f)["nir"], (*f)["birth_date"]);
  if (!found.is_ok()) return error_response(found.status(), req.request_id);
  // The identity traits, for the professional to check it is the person in front of them.
  return Response::json(200, json{{"space_id", found->space_id},
                                  {"patient", "Patient/" + found->space_id},
                                  {"birth_name", found->birth_name},
                                  {"first_names", found->first_names},
                                  {"birth_date", found->birth_date},
                                  {"sex", found->sex}}
                                 .dump());
}

Response declare_care_team(const Services& svc, const Request& req, const access::Caller& c) {
  return done(svc.care.declare_care_team(c, req.param("space")), req);
}

Response emergency_access(const Services& svc, const Request& req, const access::Caller& c) {
  auto f = read_string_fields(req, {"reason"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  return done(svc.care.emergency(c, req.param("space"), (*f)["reason"]), req);
}

Response consent_with_code(const Services& svc, const Request& req, const access::Caller& c) {
  auto f = read_string_fields(req, {"code"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  return done(svc.care.consent_with_code(c, req.param("space"), (*f)["code"]), req);
}

}  // namespace carnet::api::care
