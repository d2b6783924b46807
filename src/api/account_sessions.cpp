// Sign-in, sessions, and the spaces a signed-in person acts in (/api/v1/sign-in, /me, /spaces, /sessions).
#include <nlohmann/json.hpp>

#include "api/account_handlers.h"
#include "api/json_body.h"

namespace carnet::api::account {

Response sign_in(const Services& svc, const Request& req) {
  auto f = read_string_fields(req, {"login", "password"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  auto r = svc.accounts.start_sign_in((*f)["login"], (*f)["password"], client_of(req));
  if (!r.is_ok()) return error_response(r.status(), req.request_id);
  return Response::json(200, nlohmann::json{{"challenge_id", r->challenge_id},
                                            {"second_factor", r->second_factor}}.dump());
}

Response verify_sign_in(const Services& svc, const Request& req) {
  auto f = read_string_fields(req, {"challenge_id", "code"}, {"session"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  auto kind = session_kind(*f);
  if (!kind.is_ok()) return error_response(kind.status(), req.request_id);
  auto r = svc.accounts.finish_sign_in((*f)["challenge_id"], (*f)["code"], *kind, client_of(req));
  if (!r.is_ok()) return error_response(r.status(), req.request_id);
  return session_response(*r, *kind, req, nlohmann::json::object(), svc.session_lifetime.count());
}

Response me(const Services& svc, const Request& req) {
  auto who = authenticate(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  auto about = svc.accounts.about(*who);
  if (!about.is_ok()) return error_response(about.status(), req.request_id);
  nlohmann::json me = {{"account_id", who->account_id},
                       {"kind", who->kind},
                       {"idnatps", who->idnatps},
                       {"space_id", who->space_id},
                       {"acting_space_id", who->acting_space_id},
                       {"session_id", who->session_id},
                       {"first_name", about->first_name},
                       {"previous_visit_at", about->previous_visit_at},
                       {"second_factor", about->second_factor},
                       {"recovery_codes_left", about->recovery_codes_left}};
  // A page loaded again gets its cookie session's CSRF token here (same origin only: no CORS).
  auto t = session_token(req);
  if (t && t->kind == identity::SessionKind::kCookie) me["csrf_token"] = svc.accounts.csrf_token_of(t->token);
  return Response::json(200, me.dump());
}

Response spaces(const Services& svc, const Request& req) {
  auto who = authenticate(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  auto list = svc.accounts.my_spaces(*who);
  if (!list.is_ok()) return error_response(list.status(), req.request_id);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& sp : *list) {
    out.push_back({{"space_id", sp.space_id}, {"role", sp.role}, {"first_name", sp.first_name},
                   {"state", sp.state}, {"acting", sp.space_id == who->acting_space_id}});
  }
  return Response::json(200, nlohmann::json{{"spaces", out}}.dump());
}

Response switch_space(const Services& svc, const Request& req) {
  auto who = authenticate(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  Status s = svc.accounts.switch_space(*who, std::string(req.param("id")));
  if (!s.is_ok()) return error_response(s, req.request_id);
  return Response::json(200, nlohmann::json{{"acting_space_id", req.param("id")}}.dump());
}

Response invite_representative(const Services& svc, const Request& req) {
  auto who = authenticate(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  auto f = read_string_fields(req, {"email"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  Status s = svc.accounts.invite_representative(*who, std::string(req.param("id")), (*f)["email"]);
  if (!s.is_ok()) return error_response(s, req.request_id);
  return Response::empty(202);
}

Response sessions(const Services& svc, const Request& req) {
  auto who = authenticate(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  auto list = svc.accounts.list_sessions(*who);
  if (!list.is_ok()) return error_response(list.status(), req.request_id);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : *list) {
    out.push_back({{"session_id", s.session_id}, {"kind", s.kind}, {"created_at", s.created_at},
                   {"last_seen_at", s.last_seen_at}, {"expires_at", s.expires_at},
                   {"client_address", s.client_address}, {"user_agent", s.user_agent},
                   {"current", s.current}});
  }
  return Response::json(200, nlohmann::json{{"sessions", out}}.dump());
}

Response revoke_session(const Services& svc, const Request& req) {
  auto who = authenticate(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  Status s = svc.accounts.revoke_session(*who, std::string(req.param("id")));
  if (!s.is_ok()) return error_response(s, req.request_id);
  return Response::empty(204);
}

Response sign_out(const Services& svc, const Request& req) {
  auto who = authenticate(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  Status s = svc.accounts.revoke_session(*who, who->session_id);
  if (!s.is_ok()) return error_response(s, req.request_id);
  Response r = Response::empty(204);
  r.set_header("Set-Cookie", std::string(kSessionCookie) +
                                 "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" +
                                 (req.secure ? "; Secure" : ""));
  return r;
}

}  // namespace carnet::api::account
