// Activation of holders' and professionals' accounts (/api/v1/activation, /api/v1/professionals).
#include <nlohmann/json.hpp>

#include "api/account_handlers.h"
#include "api/json_body.h"
#include "identity/spaces.h"

namespace carnet::api::account {

// A holder starts activating their space: NIR, birth date and provisional code, login, password, second factor.
Response start_activation(const Services& svc, const Request& req) {
  auto f = read_string_fields(req, {"nir", "birth_date", "code", "login", "password", "second_factor"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  auto& m = *f;
  auto r = svc.accounts.start_activation({{m["nir"], m["birth_date"], m["code"]}, m["login"], m["password"],
                                      m["second_factor"]});
  if (!r.is_ok()) return error_response(r.status(), req.request_id);
  return Response::json(200, factor_started(*r, "activation_id").dump());
}

// A professional asks for an invitation by the e-mail the directory lists (same answer either way).
Response request_invitation(const Services& svc, const Request& req) {
  auto f = read_string_fields(req, {"idnatps", "email"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  Status s = svc.accounts.request_professional_invitation((*f)["idnatps"], (*f)["email"]);
  if (!s.is_ok()) return error_response(s, req.request_id);
  // Same answer whether or not the directory lists this address.
  return Response::empty(202);
}

Response start_professional_activation(const Services& svc, const Request& req) {
  auto f = read_string_fields(req, {"invitation", "password", "second_factor"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  auto r = svc.accounts.start_professional_activation((*f)["invitation"], (*f)["password"],
                                                  (*f)["second_factor"]);
  if (!r.is_ok()) return error_response(r.status(), req.request_id);
  return Response::json(200, factor_started(*r, "activation_id").dump());
}

// The second factor's first code ends the activation and opens a session.
Response confirm_activation(const Services& svc, const Request& req) {
  auto f = read_string_fields(req, {"activation_id", "code"}, {"session"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  auto kind = session_kind(*f);
  if (!kind.is_ok()) return error_response(kind.status(), req.request_id);
  auto r = svc.accounts.confirm_activation((*f)["activation_id"], (*f)["code"], *kind, client_of(req));
  if (!r.is_ok()) return error_response(r.status(), req.request_id);
  return session_response(r->session, *kind, req, {{"recovery_codes", r->recovery_codes}}, svc.session_lifetime.count());
}

// A person enrolled by default objects, with their provisional code: their space is erased.
Response oppose(const Services& svc, const Request& req) {
  auto f = read_string_fields(req, {"nir", "birth_date", "code"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  auto r = svc.spaces.oppose({(*f)["nir"], (*f)["birth_date"], (*f)["code"]});
  if (!r.is_ok()) return error_response(r.status(), req.request_id);
  return Response::json(200, "{\"status\":\"opposed\"}");
}

}  // namespace carnet::api::account
