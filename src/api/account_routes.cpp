#include "api/account_routes.h"

#include <nlohmann/json.hpp>

#include "api/json_body.h"

namespace carnet::api {
namespace {

constexpr uint64_t kSmallJson = 8 * 1024;

std::optional<std::string> cookie_value(const Request& req, std::string_view name) {
  std::string_view header = req.header("cookie");
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    std::string_view item = header.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (item.size() > name.size() && item.substr(0, name.size()) == name && item[name.size()] == '=') {
      return std::string(item.substr(name.size() + 1));
    }
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return std::nullopt;
}

identity::ClientInfo client_of(const Request& req) {
  return {req.client_address, std::string(req.header("user-agent"))};
}

Result<identity::SessionKind> session_kind(const std::map<std::string, std::string>& f) {
  auto it = f.find("session");
  if (it == f.end() || it->second == "cookie") return identity::SessionKind::kCookie;
  if (it->second == "bearer") return identity::SessionKind::kBearer;
  return Status::invalid("session must be \"cookie\" or \"bearer\"");
}

std::string session_cookie(const identity::NewSession& s, bool secure, int64_t max_age) {
  return std::string(kSessionCookie) + "=" + s.token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(max_age) + (secure ? "; Secure" : "");
}

// The JSON answer for a new session: the token itself only for bearer sessions (a cookie
// session's token never reaches scripts).
Response session_response(const identity::NewSession& s, identity::SessionKind kind, const Request& req,
                          nlohmann::json extra, int64_t max_age) {
  extra["account_id"] = s.account_id;
  extra["session_id"] = s.session_id;
  extra["expires_at"] = s.expires_at;
  if (kind == identity::SessionKind::kBearer) {
    extra["token_type"] = "Bearer";
    extra["access_token"] = s.token;
  } else {
    extra["csrf_token"] = s.csrf_token;
  }
  Response r = Response::json(200, extra.dump());
  if (kind == identity::SessionKind::kCookie) r.set_header("Set-Cookie", session_cookie(s, req.secure, max_age));
  return r;
}

// A second factor waiting for its first code: the id to confirm it with, and for TOTP the
// secret to scan (URI and QR code).
nlohmann::json factor_started(const identity::ActivationStarted& r, const char* id_name) {
  nlohmann::json out = {{id_name, r.activation_id}, {"second_factor", r.second_factor}};
  if (!r.otpauth_uri.empty()) {
    out["otpauth_uri"] = r.otpauth_uri;
    out["qr_svg"] = r.qr_svg;
  }
  return out;
}

}  // namespace

std::optional<SessionToken> session_token(const Request& req) {
  std::string_view auth = req.header("authorization");
  if (auth.size() > 7 && (auth.substr(0, 7) == "Bearer " || auth.substr(0, 7) == "bearer ")) {
    return SessionToken{std::string(auth.substr(7)), identity::SessionKind::kBearer};
  }
  auto cookie = cookie_value(req, kSessionCookie);
  if (!cookie) return std::nullopt;
  return SessionToken{*cookie, identity::SessionKind::kCookie};
}

Result<identity::Principal> authenticate(identity::Accounts& accounts, const Request& req) {
  auto t = session_token(req);
  if (!t) return Status::unauthenticated("not signed in");
  bool safe = req.method == "GET" || req.method == "HEAD";
  std::optional<std::string> csrf;
  if (t->kind == identity::SessionKind::kCookie && !safe) csrf = std::string(req.header("x-csrf-token"));
  return accounts.authenticate(t->token, t->kind, csrf);
}

std::vector<Route> account_routes(identity::Accounts& accounts, std::chrono::seconds session_lifetime) {
  const int64_t max_age = session_lifetime.count();
  std::vector<Route> routes;
  routes.push_back({"POST", "/api/v1/activation", "", [&accounts](const Request& req) {
                      auto f = read_string_fields(req, {"nir", "birth_date", "code", "login", "password", "second_factor"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      auto& m = *f;
                      auto r = accounts.start_activation({{m["nir"], m["birth_date"], m["code"]}, m["login"], m["password"],
                                                          m["second_factor"]});
                      if (!r.is_ok()) return error_response(r.status(), req.request_id);
                      return Response::json(200, factor_started(*r, "activation_id").dump());
                    }, kSmallJson});
  routes.push_back({"POST", "/api/v1/professionals/invitation-requests", "", [&accounts](const Request& req) {
                      auto f = read_string_fields(req, {"idnatps", "email"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      Status s = accounts.request_professional_invitation((*f)["idnatps"], (*f)["email"]);
                      if (!s.is_ok()) return error_response(s, req.request_id);
                      // Same answer whether or not the directory lists this address.
                      return Response::empty(202);
                    }, kSmallJson});
  routes.push_back({"POST", "/api/v1/professionals/activation", "", [&accounts](const Request& req) {
                      auto f = read_string_fields(req, {"invitation", "password", "second_factor"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      auto r = accounts.start_professional_activation((*f)["invitation"], (*f)["password"],
                                                                      (*f)["second_factor"]);
                      if (!r.is_ok()) return error_response(r.status(), req.request_id);
                      return Response::json(200, factor_started(*r, "activation_id").dump());
                    }, kSmallJson});
  routes.push_back({"POST", "/api/v1/activation/confirm", "", [&accounts, max_age](const Request& req) {
                      auto f = read_string_fields(req, {"activation_id", "code"}, {"session"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      auto kind = session_kind(*f);
                      if (!kind.is_ok()) return error_response(kind.status(), req.request_id);
                      auto r = accounts.confirm_activation((*f)["activation_id"], (*f)["code"], *kind, client_of(req));
                      if (!r.is_ok()) return error_response(r.status(), req.request_id);
                      return session_response(r->session, *kind, req, {{"recovery_codes", r->recovery_codes}}, max_age);
                    }, kSmallJson});
  routes.push_back({"POST", "/api/v1/sign-in", "", [&accounts](const Request& req) {
                      auto f = read_string_fields(req, {"login", "password"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      auto r = accounts.start_sign_in((*f)["login"], (*f)["password"], client_of(req));
                      if (!r.is_ok()) return error_response(r.status(), req.request_id);
                      return Response::json(200, nlohmann::json{{"challenge_id", r->challenge_id},
                                                                {"second_factor", r->second_factor}}.dump());
                    }, kSmallJson});
  routes.push_back({"POST", "/api/v1/sign-in/verify", "", [&accounts, max_age](const Request& req) {
                      auto f = read_string_fields(req, {"challenge_id", "code"}, {"session"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      auto kind = session_kind(*f);
                      if (!kind.is_ok()) return error_response(kind.status(), req.request_id);
                      auto r = accounts.finish_sign_in((*f)["challenge_id"], (*f)["code"], *kind, client_of(req));
                      if (!r.is_ok()) return error_response(r.status(), req.request_id);
                      return session_response(*r, *kind, req, nlohmann::json::object(), max_age);
                    }, kSmallJson});
  // Passwords: a change by the signed-in person; a forgotten one reset with an e-mailed code.
  routes.push_back({"POST", "/api/v1/password", "", [&accounts](const Request& req) {
                      auto who = authenticate(accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      auto f = read_string_fields(req, {"current_password", "new_password"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      Status s = accounts.change_password(*who, (*f)["current_password"], (*f)["new_password"]);
                      if (!s.is_ok()) return error_response(s, req.request_id);
                      return Response::empty(204);
                    }, kSmallJson});
  // The second factor: a new one proven by its first code, and new recovery codes.
  routes.push_back({"POST", "/api/v1/second-factor", "", [&accounts](const Request& req) {
                      auto who = authenticate(accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      auto f = read_string_fields(req, {"current_password", "second_factor"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      auto r = accounts.start_factor_change(*who, (*f)["current_password"], (*f)["second_factor"]);
                      if (!r.is_ok()) return error_response(r.status(), req.request_id);
                      return Response::json(200, factor_started(*r, "change_id").dump());
                    }, kSmallJson});
  routes.push_back({"POST", "/api/v1/second-factor/confirm", "", [&accounts](const Request& req) {
                      auto who = authenticate(accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      auto f = read_string_fields(req, {"change_id", "code"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      auto codes = accounts.confirm_factor_change(*who, (*f)["change_id"], (*f)["code"]);
                      if (!codes.is_ok()) return error_response(codes.status(), req.request_id);
                      return Response::json(200, nlohmann::json{{"recovery_codes", *codes}}.dump());
                    }, kSmallJson});
  routes.push_back({"POST", "/api/v1/recovery-codes", "", [&accounts](const Request& req) {
                      auto who = authenticate(accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      auto f = read_string_fields(req, {"current_password"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      auto codes = accounts.renew_recovery_codes(*who, (*f)["current_password"]);
                      if (!codes.is_ok()) return error_response(codes.status(), req.request_id);
                      return Response::json(200, nlohmann::json{{"recovery_codes", *codes}}.dump());
                    }, kSmallJson});
  routes.push_back({"POST", "/api/v1/password-reset", "", [&accounts](const Request& req) {
                      auto f = read_string_fields(req, {"login"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      Status s = accounts.request_password_reset((*f)["login"], client_of(req));
                      if (!s.is_ok()) return error_response(s, req.request_id);
                      return Response::json(202, R"({"status":"a code was e-mailed if an account uses this login"})");
                    }, kSmallJson});
  routes.push_back({"POST", "/api/v1/password-reset/confirm", "", [&accounts](const Request& req) {
                      auto f = read_string_fields(req, {"login", "code", "password"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      Status s = accounts.reset_password((*f)["login"], (*f)["code"], (*f)["password"], client_of(req));
                      if (!s.is_ok()) return error_response(s, req.request_id);
                      return Response::empty(204);
                    }, kSmallJson});
  routes.push_back({"GET", "/api/v1/me", "", [&accounts](const Request& req) {
                      auto who = authenticate(accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      auto about = accounts.about(*who);
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
                      if (t && t->kind == identity::SessionKind::kCookie) me["csrf_token"] = accounts.csrf_token_of(t->token);
                      return Response::json(200, me.dump());
                    }});
  routes.push_back({"GET", "/api/v1/spaces", "", [&accounts](const Request& req) {
                      auto who = authenticate(accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      auto list = accounts.my_spaces(*who);
                      if (!list.is_ok()) return error_response(list.status(), req.request_id);
                      nlohmann::json out = nlohmann::json::array();
                      for (const auto& sp : *list) {
                        out.push_back({{"space_id", sp.space_id}, {"role", sp.role}, {"first_name", sp.first_name},
                                       {"state", sp.state}, {"acting", sp.space_id == who->acting_space_id}});
                      }
                      return Response::json(200, nlohmann::json{{"spaces", out}}.dump());
                    }});
  routes.push_back({"POST", "/api/v1/spaces/{id}/switch", "", [&accounts](const Request& req) {
                      auto who = authenticate(accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      Status s = accounts.switch_space(*who, std::string(req.param("id")));
                      if (!s.is_ok()) return error_response(s, req.request_id);
                      return Response::json(200, nlohmann::json{{"acting_space_id", req.param("id")}}.dump());
                    }, 1024});
  routes.push_back({"POST", "/api/v1/spaces/{id}/invitations", "", [&accounts](const Request& req) {
                      auto who = authenticate(accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      auto f = read_string_fields(req, {"email"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      Status s = accounts.invite_representative(*who, std::string(req.param("id")), (*f)["email"]);
                      if (!s.is_ok()) return error_response(s, req.request_id);
                      return Response::empty(202);
                    }, kSmallJson});
  routes.push_back({"GET", "/api/v1/sessions", "", [&accounts](const Request& req) {
                      auto who = authenticate(accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      auto list = accounts.list_sessions(*who);
                      if (!list.is_ok()) return error_response(list.status(), req.request_id);
                      nlohmann::json out = nlohmann::json::array();
                      for (const auto& s : *list) {
                        out.push_back({{"session_id", s.session_id}, {"kind", s.kind}, {"created_at", s.created_at},
                                       {"last_seen_at", s.last_seen_at}, {"expires_at", s.expires_at},
                                       {"client_address", s.client_address}, {"user_agent", s.user_agent},
                                       {"current", s.current}});
                      }
                      return Response::json(200, nlohmann::json{{"sessions", out}}.dump());
                    }});
  routes.push_back({"DELETE", "/api/v1/sessions/{id}", "", [&accounts](const Request& req) {
                      auto who = authenticate(accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      Status s = accounts.revoke_session(*who, std::string(req.param("id")));
                      if (!s.is_ok()) return error_response(s, req.request_id);
                      return Response::empty(204);
                    }});
  routes.push_back({"POST", "/api/v1/sign-out", "", [&accounts](const Request& req) {
                      auto who = authenticate(accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      Status s = accounts.revoke_session(*who, who->session_id);
                      if (!s.is_ok()) return error_response(s, req.request_id);
                      Response r = Response::empty(204);
                      r.set_header("Set-Cookie", std::string(kSessionCookie) +
                                                     "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" +
                                                     (req.secure ? "; Secure" : ""));
                      return r;
                    }, 1024});
  return routes;
}

}  // namespace carnet::api
