#include "api/authentication.h"

namespace carnet::api {
namespace {

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

}  // namespace

identity::ClientInfo client_of(const Request& req) {
  return {req.client_address, std::string(req.header("user-agent"))};
}

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

Result<identity::Principal> authenticate_operator(identity::Accounts& accounts, const Request& req) {
  auto who = authenticate(accounts, req);
  if (!who.is_ok()) return who.status();
  if (who->kind != "operator") return Status::forbidden("operator accounts only");
  return who;
}

}  // namespace carnet::api
