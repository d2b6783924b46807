#include "api/account_handlers.h"

#include <nlohmann/json.hpp>

namespace carnet::api::account {

Result<identity::SessionKind> session_kind(const std::map<std::string, std::string>& f) {
  auto it = f.find("session");
  if (it == f.end() || it->second == "cookie") return identity::SessionKind::kCookie;
  if (it->second == "bearer") return identity::SessionKind::kBearer;
  return Status::invalid("session must be \"cookie\" or \"bearer\"");
}

namespace {

std::string session_cookie(const identity::NewSession& s, bool secure, int64_t max_age) {
  return std::string(kSessionCookie) + "=" + s.token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(max_age) + (secure ? "; Secure" : "");
}

}  // namespace

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

}  // namespace carnet::api::account
