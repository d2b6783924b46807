// /api/v1 account handlers: activation, sign-in and sessions, passwords and second factors.
// Browser sessions use the HttpOnly, SameSite=Strict cookie `carnet_session` (Secure over TLS)
// and must send the CSRF token they were given in X-CSRF-Token on unsafe methods. API clients
// ask for session "bearer" and send `Authorization: Bearer <token>`. Routes: routes.cpp.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "api/authentication.h"
#include "api/http_types.h"
#include "api/services.h"

namespace carnet::api::account {

Response start_activation(const Services& svc, const Request& req);  // POST /api/v1/activation
Response request_invitation(const Services& svc, const Request& req);  // POST /api/v1/professionals/invitation-requests
Response start_professional_activation(const Services& svc, const Request& req);  // POST /api/v1/professionals/activation
Response confirm_activation(const Services& svc, const Request& req);  // POST /api/v1/activation/confirm
Response sign_in(const Services& svc, const Request& req);  // POST /api/v1/sign-in
Response verify_sign_in(const Services& svc, const Request& req);  // POST /api/v1/sign-in/verify
Response me(const Services& svc, const Request& req);  // GET /api/v1/me
Response spaces(const Services& svc, const Request& req);  // GET /api/v1/spaces
Response switch_space(const Services& svc, const Request& req);  // POST /api/v1/spaces/{id}/switch
Response invite_representative(const Services& svc, const Request& req);  // POST /api/v1/spaces/{id}/invitations
Response sessions(const Services& svc, const Request& req);  // GET /api/v1/sessions
Response revoke_session(const Services& svc, const Request& req);  // DELETE /api/v1/sessions/{id}
Response sign_out(const Services& svc, const Request& req);  // POST /api/v1/sign-out
Response change_password(const Services& svc, const Request& req);  // POST /api/v1/password
Response start_factor_change(const Services& svc, const Request& req);  // POST /api/v1/second-factor
Response confirm_factor_change(const Services& svc, const Request& req);  // POST /api/v1/second-factor/confirm
Response renew_recovery_codes(const Services& svc, const Request& req);  // POST /api/v1/recovery-codes
Response request_password_reset(const Services& svc, const Request& req);  // POST /api/v1/password-reset
Response reset_password(const Services& svc, const Request& req);  // POST /api/v1/password-reset/confirm

Response oppose(const Services& svc, const Request& req);  // POST /api/v1/opposition

// Shared by the account handlers (account_common.cpp).
Result<identity::SessionKind> session_kind(const std::map<std::string, std::string>& fields);
// The JSON answer for a new session: the token itself only for bearer sessions (a cookie
// session's token never reaches scripts).
Response session_response(const identity::NewSession& s, identity::SessionKind kind, const Request& req,
                          nlohmann::json extra, int64_t max_age);
// A second factor waiting for its first code: the id to confirm it with, and for TOTP the
// secret to scan (URI and QR code).
nlohmann::json factor_started(const identity::ActivationStarted& r, const char* id_name);

}  // namespace carnet::api::account
