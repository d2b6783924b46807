// Passwords, second factor and recovery codes of the signed-in person, and forgotten passwords.
#include <nlohmann/json.hpp>

#include "api/account_handlers.h"
#include "api/json_body.h"

namespace carnet::api::account {

Response change_password(const Services& svc, const Request& req) {
  auto who = authenticate(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  auto f = read_string_fields(req, {"current_password", "new_password"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  Status s = svc.accounts.change_password(*who, (*f)["current_password"], (*f)["new_password"]);
  if (!s.is_ok()) return error_response(s, req.request_id);
  return Response::empty(204);
}

Response start_factor_change(const Services& svc, const Request& req) {
  auto who = authenticate(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  auto f = read_string_fields(req, {"current_password", "second_factor"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  auto r = svc.accounts.start_factor_change(*who, (*f)["current_password"], (*f)["second_factor"]);
  if (!r.is_ok()) return error_response(r.status(), req.request_id);
  return Response::json(200, factor_started(*r, "change_id").dump());
}

Response confirm_factor_change(const Services& svc, const Request& req) {
  auto who = authenticate(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  auto f = read_string_fields(req, {"change_id", "code"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  auto codes = svc.accounts.confirm_factor_change(*who, (*f)["change_id"], (*f)["code"]);
  if (!codes.is_ok()) return error_response(codes.status(), req.request_id);
  return Response::json(200, nlohmann::json{{"recovery_codes", *codes}}.dump());
}

Response renew_recovery_codes(const Services& svc, const Request& req) {
  auto who = authenticate(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  auto f = read_string_fields(req, {"current_password"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  auto codes = svc.accounts.renew_recovery_codes(*who, (*f)["current_password"]);
  if (!codes.is_ok()) return error_response(codes.status(), req.request_id);
  return Response::json(200, nlohmann::json{{"recovery_codes", *codes}}.dump());
}

Response request_password_reset(const Services& svc, const Request& req) {
  auto f = read_string_fields(req, {"login"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  Status s = svc.accounts.request_password_reset((*f)["login"], client_of(req));
  if (!s.is_ok()) return error_response(s, req.request_id);
  return Response::json(202, R"({"status":"a code was e-mailed if an account uses this login"})");
}

Response reset_password(const Services& svc, const Request& req) {
  auto f = read_string_fields(req, {"login", "code", "password"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  Status s = svc.accounts.reset_password((*f)["login"], (*f)["code"], (*f)["password"], client_of(req));
  if (!s.is_ok()) return error_response(s, req.request_id);
  return Response::empty(204);
}

}  // namespace carnet::api::account
