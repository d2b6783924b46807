// Who calls: the session a request presents (bearer token or cookie, with its CSRF token for
// unsafe methods), for the api handlers.
#pragma once

#include <optional>
#include <string>

#include "api/http_types.h"
#include "identity/accounts.h"

namespace carnet::api {

inline constexpr char kSessionCookie[] = "carnet_session";

// The caller's session, from the bearer token or the cookie (with its CSRF token for unsafe
// methods). kUnauthenticated / kForbidden otherwise.
Result<identity::Principal> authenticate(identity::Accounts& accounts, const Request& req);
// The same, for operator accounts only (kForbidden for anyone else).
Result<identity::Principal> authenticate_operator(identity::Accounts& accounts, const Request& req);

// The session token a request presents (bearer token, else cookie), if any.
struct SessionToken {
  std::string token;
  identity::SessionKind kind;
};
std::optional<SessionToken> session_token(const Request& req);

// The client as sessions record it: address and user agent.
identity::ClientInfo client_of(const Request& req);

}  // namespace carnet::api
