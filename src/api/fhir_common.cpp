#include "api/fhir_common.h"

#include <nlohmann/json.hpp>

#include "api/authentication.h"
#include "core/encoding.h"
#include "core/log.h"

namespace carnet::api::fhir_rest {

using json = nlohmann::json;

std::string_view issue_code(ErrorCode c) {
  switch (c) {
    case ErrorCode::kInvalid: return "invalid";
    case ErrorCode::kUnprocessable: return "processing";
    case ErrorCode::kUnauthenticated: return "login";
    case ErrorCode::kForbidden: return "forbidden";
    case ErrorCode::kNotFound: return "not-found";
    case ErrorCode::kGone: return "deleted";
    case ErrorCode::kConflict:
    case ErrorCode::kPreconditionFailed: return "conflict";
    case ErrorCode::kTooLarge: return "too-costly";
    case ErrorCode::kThrottled: return "throttled";
    case ErrorCode::kBusy:
    case ErrorCode::kUnavailable: return "transient";
    default: return "exception";
  }
}

Response outcome(int status, std::string_view code, std::string_view diagnostics,
                 [[maybe_unused]] std::string_view request_id, std::string_view expression) {
  json issue = {{"severity", "error"}, {"code", code}, {"diagnostics", diagnostics}};
  if (!expression.empty()) issue["expression"] = json::array({expression});
  json doc = {{"resourceType", "OperationOutcome"}, {"issue", {issue}}};
  Response r = Response::text(status, doc.dump(), kFhirJson);
  return r;
}

Response outcome(const Status& s, std::string_view request_id) {
  int status = http_status_for(s.code());
  bool hide = status == 500;
  // The client gets no internals; the log keeps them, under the request id it was given.
  if (hide) log::error("request_failed", {{"error", s.to_string()}});
  return outcome(status, issue_code(s.code()), hide ? "internal error; quote the request id to support" : s.message(),
                 request_id);
}

bool wants_json(const Request& req) {
  auto ok = [](std::string_view v) {
    v = v.substr(0, v.find(';'));
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return v.empty() || v == "*/*" || v == "application/*" || v == "application/fhir+json" || v == "application/json" ||
           v == "json";
  };
  auto form = decode_form(req.query);
  if (form.is_ok()) {
    for (const auto& [name, value] : *form) {
      if (name == "_format") return ok(value);
    }
  }
  std::string_view accept = req.header("accept");
  if (accept.empty()) return true;
  size_t pos = 0;
  while (pos <= accept.size()) {
    size_t comma = accept.find(',', pos);
    if (ok(accept.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos))) return true;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

Response not_acceptable(const Request& req) {
  return outcome(406, "not-supported", "only JSON is served: use Accept: application/fhir+json (or _format=json)",
                 req.request_id);
}

bool json_body(const Request& req) {
  std::string_view type = req.header("content-type");
  type = type.substr(0, type.find(';'));
  return type == "application/fhir+json" || type == "application/json";
}

std::string base_url(const Request& req) {
  std::string_view host = req.header("host");
  bool safe = !host.empty() && host.size() < 256 && host.find_first_of("/\\@ \"<>") == std::string_view::npos;
  if (!safe) return "/fhir/r4";
  return std::string(req.secure ? "https://" : "http://") + std::string(host) + "/fhir/r4";
}

Result<std::vector<std::pair<std::string, std::string>>> decode_form(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t amp = text.find('&', pos);
    std::string_view part = text.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    pos = amp == std::string_view::npos ? text.size() : amp + 1;
    if (part.empty()) continue;
    size_t eq = part.find('=');
    auto decode = [](std::string_view s) {
      std::string plus(s);
      for (char& c : plus) {
        if (c == '+') c = ' ';
      }
      return percent_decode(plus);
    };
    auto name = decode(part.substr(0, eq));
    auto value = decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
    if (!name || !value) return Status::invalid("malformed %-escape in the query");
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

Response validation_outcome(const std::vector<fhir::ValidationIssue>& issues,
                            [[maybe_unused]] std::string_view request_id) {
  json list = json::array();
  for (const auto& i : issues) {
    list.push_back({{"severity", "error"}, {"code", i.code}, {"diagnostics", i.message}, {"expression", json::array({i.expression})}});
  }
  return Response::text(422, json{{"resourceType", "OperationOutcome"}, {"issue", list}}.dump(), kFhirJson);
}

Result<access::Caller> authenticate_caller(identity::Accounts& accounts, const Request& req, bool remembered) {
  std::optional<identity::Accounts::RememberedSession> memory;
  if (remembered) {
    bool safe = req.method == "GET" || req.method == "HEAD";
    auto token = session_token(req);
    if (token && (safe || token->kind == identity::SessionKind::kBearer)) {
      memory = accounts.remembered(token->token, token->kind);
    }
  }
  auto who = memory ? Result<identity::Principal>(memory->who) : authenticate(accounts, req);
  if (!who.is_ok()) return who.status();
  access::Caller c;
  if (memory) c.unconfirmed_session = std::move(memory->confirmation);
  c.client_address = req.client_address;
  c.actor.account_id = who->account_id;
  if (who->kind == "holder") {
    c.own_space = who->space_id;
    c.acting_space = who->acting_space_id;
    bool own = !c.acting_space.empty() && c.acting_space == c.own_space;
    c.actor.kind = own ? access::ActorKind::kHolder : access::ActorKind::kRepresentative;
  } else if (who->kind == "professional") {
    c.actor.kind = access::ActorKind::kProfessional;
    c.actor.idnatps = who->idnatps;
  } else if (who->kind == "operator") {
    c.actor.kind = access::ActorKind::kOperator;
  }
  return c;
}

namespace {

// One run of `body`; its error as an OperationOutcome (the R4 issues of a refused write).
Status attempt(const FhirServices& services, const access::Caller& caller, store::TxMode mode, const RepositoryBody& body,
               Response& out, std::vector<fhir::ValidationIssue>& issues) {
  issues.clear();
  return services.repositories.run(caller, mode, [&](access::Repository& repo) -> Status {
    auto r = body(repo);
    if (!r.is_ok()) {
      issues = repo.take_validation_issues();
      return r.status();
    }
    out = std::move(*r);
    return Status::ok();
  });
}

}  // namespace

Response run_repository(const FhirServices& services, const Request& req, const access::Caller& caller,
                        store::TxMode mode, const RepositoryBody& body) {
  Response out;
  std::vector<fhir::ValidationIssue> issues;
  Status s = attempt(services, caller, mode, body, out, issues);
  if (s.code() == ErrorCode::kUnauthenticated && caller.unconfirmed_session) {
    // The remembered session no longer stands as it was: forgotten, and read in full.
    if (auto token = session_token(req)) services.accounts.forget(token->token);
    auto again = authenticate_caller(services.accounts, req);
    if (!again.is_ok()) return outcome(again.status(), req.request_id);
    s = attempt(services, *again, mode, body, out, issues);
  }
  if (!s.is_ok()) return issues.empty() ? outcome(s, req.request_id) : validation_outcome(issues, req.request_id);
  return out;
}

Response with_repository(const FhirServices& services, const Request& req, store::TxMode mode, const RepositoryBody& body,
                         bool remembered) {
  auto caller = authenticate_caller(services.accounts, req, remembered);
  if (!caller.is_ok()) return outcome(caller.status(), req.request_id);
  return run_repository(services, req, *caller, mode, body);
}

// The response to a successful write or read, as Prefer asks.
Response versioned(int status, const fhir::ResourceVersion& v, const Request& req) {
  Response r;
  std::string_view prefer = req.header("prefer");
  if (req.method != "GET" && prefer.find("return=minimal") != std::string_view::npos) {
    r = Response::empty(status);
  } else if (req.method != "GET" && prefer.find("return=OperationOutcome") != std::string_view::npos) {
    json doc = {{"resourceType", "OperationOutcome"},
                {"issue", {{{"severity", "information"}, {"code", "informational"},
                            {"diagnostics", v.type + "/" + v.id + " version " + std::to_string(v.version) + " stored"}}}}};
    r = Response::text(status, doc.dump(), kFhirJson);
  } else {
    r = Response::text(status, v.json, kFhirJson);
  }
  r.set_header("ETag", "W/\"" + std::to_string(v.version) + "\"");
  r.set_header("Last-Modified", v.last_updated);
  if (req.method == "POST" || status == 201) {
    r.set_header("Location", "/fhir/r4/" + v.type + "/" + v.id + "/_history/" + std::to_string(v.version));
  }
  return r;
}

Result<std::optional<int64_t>> if_match(std::string_view v) {
  if (v.empty()) return std::optional<int64_t>();
  if (v.substr(0, 2) == "W/") v.remove_prefix(2);
  if (v.size() < 3 || v.front() != '"' || v.back() != '"') return Status::invalid("If-Match must be W/\"<version>\"");
  v = v.substr(1, v.size() - 2);
  int64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9' || n > 1'000'000'000) return Status::invalid("If-Match must be W/\"<version>\"");
    n = n * 10 + (c - '0');
  }
  return std::optional<int64_t>(n);
}

Result<int64_t> version_id(std::string_view text) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return Status::invalid("version id must be a number");
  }
  return std::stoll(std::string(text));
}

std::string patient_of_search(std::string_view type, const std::vector<std::pair<std::string, std::string>>& params) {
  for (const auto& [name, value] : params) {
    if (name == "patient" || name == "subject" || name == "subject:Patient" || name == "patient:Patient") {
      return value.find('/') == std::string::npos ? "Patient/" + value : value;
    }
    if (type == "Patient" && name == "_id") return "Patient/" + value;
  }
  return "";
}

json history_entry(std::string_view base, const fhir::ResourceVersion& v) {
  std::string rel = v.type + "/" + v.id;
  json entry = {{"fullUrl", std::string(base) + "/" + rel},
                {"request", {{"method", v.deleted ? "DELETE" : (v.version == 1 ? "POST" : "PUT")},
                             {"url", v.version == 1 && !v.deleted ? v.type : rel}}},
                {"response", {{"status", v.deleted ? "204" : (v.version == 1 ? "201" : "200")},
                              {"etag", "W/\"" + std::to_string(v.version) + "\""},
                              {"lastModified", v.last_updated}}}};
  if (!v.deleted) {
    json resource = json::parse(v.json, nullptr, false);
    if (resource.is_object()) entry["resource"] = std::move(resource);
  }
  return entry;
}

std::string query_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string page_link(std::string_view base, std::string_view path,
                      const std::vector<std::pair<std::string, std::string>>& params, std::string_view cursor) {
  std::string url = std::string(base) + "/" + std::string(path);
  char sep = '?';
  for (const auto& [name, value] : params) {
    url += sep + query_escape(name) + "=" + query_escape(value);
    sep = '&';
  }
  if (!cursor.empty()) url += sep + std::string("_cursor=") + std::string(cursor);
  return url;
}

Result<fhir::SearchQuery> if_none_exist(std::string_view type, std::string_view header) {
  size_t q = header.find('?');
  auto pairs = decode_form(q == std::string_view::npos ? header : header.substr(q + 1));
  if (!pairs.is_ok()) return pairs.status();
  auto query = fhir::parse_search(type, *pairs, /*strict=*/true);
  if (!query.is_ok()) return query.status().with_context("If-None-Exist");
  if (query->criteria.empty()) return Status::invalid("If-None-Exist names no search criteria");
  query->count = 2;
  query->sort.clear();
  return query;
}

}  // namespace carnet::api::fhir_rest
