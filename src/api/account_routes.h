// Activation, sign-in and session endpoints for holders (JSON under /api/v1).
//
//   POST   /api/v1/activation          {nir, birth_date, code, login, password, second_factor}
//   POST   /api/v1/activation/confirm  {activation_id, code, session?: "cookie"|"bearer"}
//   POST   /api/v1/professionals/invitation-requests  {idnatps, email} (self-service; always 202)
//   POST   /api/v1/professionals/activation  {invitation, password, second_factor} -> then /activation/confirm
//   POST   /api/v1/sign-in             {login, password}
//   POST   /api/v1/sign-in/verify      {challenge_id, code, session?}
//   GET    /api/v1/me
//   GET    /api/v1/sessions
//   DELETE /api/v1/sessions/{id}
//   POST   /api/v1/sign-out
//
// Browser sessions use the HttpOnly, SameSite=Strict cookie `carnet_session` (Secure over
// TLS) and must send the CSRF token they were given in X-CSRF-Token on unsafe methods. API
// clients ask for session "bearer" and send `Authorization: Bearer <token>`.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "api/http_types.h"
#include "identity/accounts.h"

namespace carnet::api {

inline constexpr char kSessionCookie[] = "carnet_session";

// The caller's session, from the bearer token or the cookie (with its CSRF token for unsafe
// methods). kUnauthenticated / kForbidden otherwise.
Result<identity::Principal> authenticate(identity::Accounts& accounts, const Request& req);

// The session token a request presents (bearer token, else cookie), if any.
struct SessionToken {
  std::string token;
  identity::SessionKind kind;
};
std::optional<SessionToken> session_token(const Request& req);

// `session_lifetime` is the cookie's Max-Age (the session's absolute expiry).
std::vector<Route> account_routes(identity::Accounts& accounts, std::chrono::seconds session_lifetime);

}  // namespace carnet::api
