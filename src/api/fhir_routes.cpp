#include "api/fhir_routes.h"

#include <nlohmann/json.hpp>

#include "api/account_routes.h"
#include "fhir/resource_store.h"
#include "fhir/resource_types.h"

namespace carnet::api {
namespace {

using json = nlohmann::json;

constexpr uint64_t kResourceLimit = 8ull << 20;
constexpr char kFhirJson[] = "application/fhir+json; charset=utf-8";

std::string_view issue_code(ErrorCode c) {
  switch (c) {
    case ErrorCode::kInvalid: return "invalid";
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

Response outcome(int status, std::string_view code, std::string_view diagnostics, std::string_view request_id) {
  json doc = {{"resourceType", "OperationOutcome"},
              {"issue", {{{"severity", "error"}, {"code", code}, {"diagnostics", diagnostics}}}}};
  Response r = Response::text(status, doc.dump(), kFhirJson);
  r.set_header("X-Request-Id", std::string(request_id));
  return r;
}

Response outcome(const Status& s, std::string_view request_id) {
  int status = http_status_for(s.code());
  bool hide = status == 500;
  return outcome(status, issue_code(s.code()), hide ? "internal error; quote the request id to support" : s.message(),
                 request_id);
}

// Accept / _format negotiation: JSON only.
bool wants_json(const Request& req) {
  auto ok = [](std::string_view v) {
    v = v.substr(0, v.find(';'));
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    return v.empty() || v == "*/*" || v == "application/*" || v == "application/fhir+json" || v == "application/json" ||
           v == "json";
  };
  size_t f = req.query.find("_format=");
  if (f != std::string::npos && (f == 0 || req.query[f - 1] == '&')) {
    std::string_view v = std::string_view(req.query).substr(f + 8);
    v = v.substr(0, v.find('&'));
    std::string decoded(v);
    for (size_t i = 0; (i = decoded.find("%2B", i)) != std::string::npos;) decoded.replace(i, 3, "+");
    for (size_t i = 0; (i = decoded.find("%2F", i)) != std::string::npos;) decoded.replace(i, 3, "/");
    return ok(decoded);
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

Response versioned(int status, const fhir::ResourceVersion& v, const Request& req) {
  Response r;
  std::string_view prefer = req.header("prefer");
  if (prefer.find("return=minimal") != std::string_view::npos) {
    r = Response::empty(status);
  } else {
    r = Response::text(status, v.json, kFhirJson);
  }
  r.set_header("ETag", "W/\"" + std::to_string(v.version) + "\"");
  return r;
}

struct Call {
  const fhir::ResourceTypeInfo* type = nullptr;
  std::string compartment;
};

// The access hook every FHIR call goes through (replaced by the policy function of the
// access issue): holders in their acting space; the directory for anyone signed in, read-only.
Result<Call> authorize(identity::Accounts& accounts, const Request& req, bool write) {
  auto who = authenticate(accounts, req);
  if (!who.is_ok()) return who.status();
  Call call;
  std::string type(req.param("type"));
  call.type = fhir::find_resource_type(type);
  if (!call.type) return Status::not_found("resource type '" + type.substr(0, 40) + "' is not supported");
  if (call.type->placement == fhir::Placement::kDirectory) {
    if (write) return Status::forbidden("the directory is maintained by imports of the national directory");
    call.compartment = std::string(fhir::kDirectoryCompartment);
    return call;
  }
  if (write && call.type->read_only) return Status::forbidden(type + " is written by Carnet only");
  if (who->kind != "holder" || who->acting_space_id.empty()) {
    return Status::forbidden("access to health data is not open to this account yet");
  }
  call.compartment = who->acting_space_id;
  return call;
}

template <typename F>
Response run(store::Store& store, const Request& req, bool write, F&& body) {
  if (!wants_json(req)) {
    return outcome(406, "not-supported", "only JSON is served: use Accept: application/fhir+json", req.request_id);
  }
  Response out;
  Status s = store.transact(write ? store::TxMode::kWrite : store::TxMode::kRead, [&](store::Transaction& tx) {
    auto r = body(tx);
    if (!r.is_ok()) return r.status();
    out = std::move(r.value());
    return Status::ok();
  });
  if (!s.is_ok()) return outcome(s, req.request_id);
  return out;
}

Result<std::optional<int64_t>> if_match(const Request& req) {
  std::string_view v = req.header("if-match");
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

bool json_body(const Request& req) {
  std::string_view type = req.header("content-type");
  type = type.substr(0, type.find(';'));
  return type == "application/fhir+json" || type == "application/json";
}

}  // namespace

std::vector<Route> fhir_routes(identity::Accounts& accounts, store::Store& store, const crypto::KeyRing& ring,
                               const Clock& clock) {
  auto resources = std::make_shared<fhir::ResourceStore>(ring, clock);
  std::vector<Route> routes;

  routes.push_back({"GET", "/fhir/r4/{type}/{id}", "", [&, resources](const Request& req) {
                      auto call = authorize(accounts, req, false);
                      if (!call.is_ok()) return outcome(call.status(), req.request_id);
                      return run(store, req, false, [&](store::Transaction& tx) -> Result<Response> {
                        auto v = resources->read(tx, call->compartment, call->type->name, req.param("id"));
                        if (!v.is_ok()) return v.status();
                        return versioned(200, *v, req);
                      });
                    }});
  routes.push_back({"GET", "/fhir/r4/{type}/{id}/_history/{vid}", "", [&, resources](const Request& req) {
                      auto call = authorize(accounts, req, false);
                      if (!call.is_ok()) return outcome(call.status(), req.request_id);
                      std::string vid(req.param("vid"));
                      if (vid.empty() || vid.size() > 9 || vid.find_first_not_of("0123456789") != std::string::npos) {
                        return outcome(400, "invalid", "version id must be a number", req.request_id);
                      }
                      return run(store, req, false, [&](store::Transaction& tx) -> Result<Response> {
                        auto v = resources->vread(tx, call->compartment, call->type->name, req.param("id"), std::stoll(vid));
                        if (!v.is_ok()) return v.status();
                        if (v->deleted) return Status::gone("version " + vid + " is a deletion");
                        return versioned(200, *v, req);
                      });
                    }});
  routes.push_back({"GET", "/fhir/r4/{type}/{id}/_history", "", [&, resources](const Request& req) {
                      auto call = authorize(accounts, req, false);
                      if (!call.is_ok()) return outcome(call.status(), req.request_id);
                      return run(store, req, false, [&](store::Transaction& tx) -> Result<Response> {
                        json bundle = {{"resourceType", "Bundle"}, {"type", "history"}, {"entry", json::array()}};
                        std::string full = "/fhir/r4/" + std::string(call->type->name) + "/" + std::string(req.param("id"));
                        CARNET_RETURN_IF_ERROR(resources->history(
                            tx, call->compartment, call->type->name, req.param("id"), [&](const fhir::ResourceVersion& v) {
                              json entry = {{"fullUrl", full},
                                            {"request", {{"method", v.deleted ? "DELETE" : (v.version == 1 ? "POST" : "PUT")},
                                                         {"url", std::string(call->type->name) + "/" + v.id}}},
                                            {"response", {{"status", v.deleted ? "204" : (v.version == 1 ? "201" : "200")},
                                                          {"etag", "W/\"" + std::to_string(v.version) + "\""},
                                                          {"lastModified", v.last_updated}}}};
                              if (!v.deleted) entry["resource"] = json::parse(v.json);
                              bundle["entry"].push_back(std::move(entry));
                              return Status::ok();
                            }));
                        if (bundle["entry"].empty()) return Status::not_found(full.substr(9) + " does not exist");
                        bundle["total"] = bundle["entry"].size();
                        return Response::text(200, bundle.dump(), kFhirJson);
                      });
                    }});
  routes.push_back({"POST", "/fhir/r4/{type}", "", [&, resources](const Request& req) {
                      auto call = authorize(accounts, req, true);
                      if (!call.is_ok()) return outcome(call.status(), req.request_id);
                      if (!json_body(req)) {
                        return outcome(415, "not-supported", "send the resource as application/fhir+json", req.request_id);
                      }
                      return run(store, req, true, [&](store::Transaction& tx) -> Result<Response> {
                        // The server assigns the id: a client-given one is ignored, as FHIR says for create.
                        auto doc = json::parse(req.body, nullptr, false);
                        if (doc.is_discarded()) return Status::invalid("body is not valid JSON");
                        if (doc.is_object()) doc.erase("id");
                        auto v = resources->create(tx, call->compartment, call->type->name, doc.dump());
                        if (!v.is_ok()) return v.status();
                        Response r = versioned(201, *v, req);
                        r.set_header("Location", "/fhir/r4/" + v->type + "/" + v->id + "/_history/" + std::to_string(v->version));
                        return r;
                      });
                    }, kResourceLimit});
  routes.push_back({"PUT", "/fhir/r4/{type}/{id}", "", [&, resources](const Request& req) {
                      auto call = authorize(accounts, req, true);
                      if (!call.is_ok()) return outcome(call.status(), req.request_id);
                      if (!json_body(req)) {
                        return outcome(415, "not-supported", "send the resource as application/fhir+json", req.request_id);
                      }
                      auto expected = if_match(req);
                      if (!expected.is_ok()) return outcome(expected.status(), req.request_id);
                      return run(store, req, true, [&](store::Transaction& tx) -> Result<Response> {
                        auto doc = json::parse(req.body, nullptr, false);
                        if (doc.is_discarded()) return Status::invalid("body is not valid JSON");
                        if (doc.is_object() && doc.contains("id") && doc["id"] != req.param("id")) {
                          return Status::invalid("the resource's id does not match the URL");
                        }
                        auto v = resources->update(tx, call->compartment, call->type->name, req.param("id"), req.body, *expected);
                        if (!v.is_ok()) return v.status();
                        return versioned(v->version == 1 ? 201 : 200, *v, req);
                      });
                    }, kResourceLimit});
  routes.push_back({"DELETE", "/fhir/r4/{type}/{id}", "", [&, resources](const Request& req) {
                      auto call = authorize(accounts, req, true);
                      if (!call.is_ok()) return outcome(call.status(), req.request_id);
                      return run(store, req, true, [&](store::Transaction& tx) -> Result<Response> {
                        auto v = resources->remove(tx, call->compartment, call->type->name, req.param("id"));
                        if (!v.is_ok()) return v.status();
                        Response r = Response::empty(204);
                        if (*v) r.set_header("ETag", "W/\"" + std::to_string(**v) + "\"");
                        return r;
                      });
                    }});

  // The CapabilityStatement is derived from the routes above: it lists exactly what works.
  struct Interaction {
    std::string code;
    bool write;
  };
  std::vector<Interaction> interactions;
  for (const auto& r : routes) {
    const std::string& p = r.pattern;
    if (r.method == "GET" && p == "/fhir/r4/{type}/{id}") interactions.push_back({"read", false});
    if (r.method == "GET" && p == "/fhir/r4/{type}/{id}/_history/{vid}") interactions.push_back({"vread", false});
    if (r.method == "GET" && p == "/fhir/r4/{type}/{id}/_history") interactions.push_back({"history-instance", false});
    if (r.method == "POST" && p == "/fhir/r4/{type}") interactions.push_back({"create", true});
    if (r.method == "PUT" && p == "/fhir/r4/{type}/{id}") interactions.push_back({"update", true});
    if (r.method == "DELETE" && p == "/fhir/r4/{type}/{id}") interactions.push_back({"delete", true});
  }
  json resources_json = json::array();
  for (auto* t = fhir::resource_types_begin(); t != fhir::resource_types_end(); ++t) {
    bool writable = t->placement == fhir::Placement::kSpace && !t->read_only;
    json list = json::array();
    for (const auto& i : interactions) {
      if (!i.write || writable) list.push_back({{"code", i.code}});
    }
    json entry = {{"type", t->name}, {"interaction", list}, {"versioning", "versioned"}, {"readHistory", true},
                  {"updateCreate", writable}};
    resources_json.push_back(entry);
  }
  std::string capability = json{{"resourceType", "CapabilityStatement"},
                                {"status", "active"},
                                {"date", "2026-11-22"},
                                {"publisher", "Carnet"},
                                {"kind", "instance"},
                                {"software", {{"name", "Carnet"}, {"version", "0.1.0"}}},
                                {"fhirVersion", "4.0.1"},
                                {"format", {"application/fhir+json"}},
                                {"rest", {{{"mode", "server"}, {"resource", resources_json}}}}}
                               .dump();
  routes.push_back({"GET", "/fhir/r4/metadata", "", [capability](const Request& req) {
                      if (!wants_json(req)) {
                        return outcome(406, "not-supported", "only JSON is served: use Accept: application/fhir+json",
                                       req.request_id);
                      }
                      return Response::text(200, capability, kFhirJson);
                    }, 0, Execution::kInline});
  return routes;
}

}  // namespace carnet::api
