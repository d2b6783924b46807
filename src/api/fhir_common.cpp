#include "api/fhir_common.h"
#include "api/fhir_routes.h"

#include "core/log.h"

#include <nlohmann/json.hpp>

#include "api/account_routes.h"
#include "api/fhir_documents.h"
#include "api/fhir_profile.h"
#include "crypto/random.h"
#include "core/encoding.h"
#include "access/care.h"
#include "fhir/search_index.h"
#include "identity/spaces.h"

namespace carnet::api::fhir_rest {

using json = nlohmann::json;

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

Result<Call> authenticate_call(identity::Accounts& accounts, access::Gate& gate, const Request& req,
                               bool confirmed_by_gate) {
  std::optional<identity::Accounts::RememberedSession> remembered;
  if (confirmed_by_gate && (req.method == "GET" || req.method == "HEAD")) {
    if (auto token = session_token(req)) remembered = accounts.remembered(token->token, token->kind);
  }
  auto who = remembered ? Result<identity::Principal>(remembered->who) : authenticate(accounts, req);
  if (!who.is_ok()) return who.status();
  Call call{std::move(*who), {}, &gate};
  if (remembered) call.caller.unconfirmed_session = std::move(remembered->confirmation);
  access::Caller& c = call.caller;
  c.client_address = req.client_address;
  c.actor.account_id = call.who.account_id;
  if (call.who.kind == "holder") {
    c.own_space = call.who.space_id;
    c.acting_space = call.who.acting_space_id;
    bool own = !c.acting_space.empty() && c.acting_space == c.own_space;
    c.actor.kind = own ? access::ActorKind::kHolder : access::ActorKind::kRepresentative;
  } else if (call.who.kind == "professional") {
    c.actor.kind = access::ActorKind::kProfessional;
    c.actor.idnatps = call.who.idnatps;
    CARNET_RETURN_IF_ERROR(gate.complete(c.actor));
  } else if (call.who.kind == "operator") {
    c.actor.kind = access::ActorKind::kOperator;
  }
  return call;
}

Result<Target> authorize(const Call& call, std::string_view type, access::Action action, std::string_view id,
                         std::string_view patient, bool read_current) {
  Target t;
  t.type = fhir::find_resource_type(type);
  if (!t.type) return Status::not_found("resource type '" + std::string(type.substr(0, 40)) + "' is not supported");
  access::Target target;
  target.resource.type = std::string(type);
  target.resource.category = std::string(access::type_category(type));
  target.resource.directory = t.type->placement == fhir::Placement::kDirectory;
  target.resource_id = std::string(id);
  target.read_current = read_current && !id.empty();
  if (target.resource.directory) {
    t.compartment = std::string(fhir::kDirectoryCompartment);
  } else if (call.caller.actor.kind == access::ActorKind::kProfessional) {
    // A professional works in one patient's record at a time: named by the resource's id,
    // or by the patient of a search or of a new resource.
    if (!id.empty() && action != access::Action::kCreate) {
      t.compartment.clear();  // the gate finds the space holding the resource
    } else {
      std::string_view p = patient.substr(0, 8) == "Patient/" ? patient.substr(8) : patient;
      if (p.empty()) {
        return Status::invalid("name the patient: search with patient=Patient/{id}, or give the resource a subject");
      }
      t.compartment = std::string(p);
    }
    target.space_id = t.compartment;
  } else {
    t.compartment = call.caller.acting_space;
    target.space_id = t.compartment;
  }
  auto d = call.gate->check(call.caller, action, target);
  if (!d.is_ok()) return d.status();
  if (!target.resource.directory) t.compartment = target.space_id;
  if (!d->allowed) return Status::forbidden(d->reason);
  if (!target.resource.directory && t.compartment.empty()) return Status::forbidden("no space to act in");
  t.current = std::move(target.current);
  return t;
}

Result<Target> authorize_call(identity::Accounts& accounts, Call& call, const Request& req, std::string_view type,
                              access::Action action, std::string_view id, std::string_view patient, bool read_current) {
  auto target = authorize(call, type, action, id, patient, read_current);
  if (target.is_ok() || target.status().code() != ErrorCode::kUnauthenticated || !call.caller.unconfirmed_session) {
    return target;
  }
  // The remembered session no longer stands as it was: forgotten, and read in full (it may
  // act in another space now, or have ended).
  if (auto token = session_token(req)) accounts.forget(token->token);
  auto again = authenticate_call(accounts, *call.gate, req);
  if (!again.is_ok()) return again.status();
  call = std::move(*again);
  return authorize(call, type, action, id, patient, read_current);
}

Status confirm_call(identity::Accounts& accounts, const Call& call, const Request& req) {
  if (!call.caller.unconfirmed_session) return Status::ok();
  return authenticate_call(accounts, *call.gate, req).status();
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

std::string patient_of_resource(const json& r) {
  if (!r.is_object()) return "";
  for (const char* field : {"subject", "patient"}) {
    auto it = r.find(field);
    if (it != r.end() && it->is_object()) {
      std::string ref = fhir::normalize_reference(it->value("reference", ""));
      if (ref.rfind("Patient/", 0) == 0) return ref;
    }
  }
  for (const auto& p : r.value("participant", json::array())) {
    if (!p.is_object() || !p.contains("actor")) continue;
    std::string ref = fhir::normalize_reference(p["actor"].value("reference", ""));
    if (ref.rfind("Patient/", 0) == 0) return ref;
  }
  return "";
}

void add_visibility(const Call& call, const Target& target, fhir::SearchQuery& query) {
  for (auto& f : call.gate->search_filters(call.caller, target.compartment, target.type->name)) {
    query.filters.push_back({std::move(f.sql), std::move(f.params)});
  }
}

namespace {

std::vector<std::string> codes_of(const json& concepts) {
  std::vector<std::string> out;
  auto add = [&](const json& cc) {
    for (const auto& c : cc.value("coding", json::array())) {
      if (c.contains("code") && c["code"].is_string()) out.push_back(c["code"]);
    }
  };
  if (concepts.is_array()) {
    for (const auto& cc : concepts) add(cc);
  } else if (concepts.is_object()) {
    add(concepts);
  }
  return out;
}

}  // namespace

VisibilityLabels visibility_labels(const json& doc) {
  VisibilityLabels out;
  for (const auto& label : doc.value("securityLabel", json::array())) {
    for (const auto& c : label.value("coding", json::array())) {
      std::string system = c.value("system", ""), code = c.value("code", "");
      if (system != kVisibilitySystem && system != kVisibilitySystemOid) continue;
      for (char& ch : code) ch = char(std::toupper(static_cast<unsigned char>(ch)));  // case-insensitive code system
      if (code == "INVISIBLE_PATIENT") out.withheld_from_patient = true;
      if (code == "INVISIBLE_REPRESENTANTS_LEGAUX") out.hidden_from_representatives = true;
      if (code == "MASQUE_PS") out.hidden_from_professionals = true;
    }
  }
  return out;
}

Status record_author(store::Transaction& tx, const Call& call, const Target& target, const fhir::ResourceVersion& v) {
  bool professional = call.caller.actor.kind == access::ActorKind::kProfessional;
  bool document = v.type == "DocumentReference" || v.type == "Binary";
  if (!professional && !document) return Status::ok();
  // Documents carry their matrix category: from their class or type codes, else by who added them.
  std::string category;
  std::vector<std::string> binaries;
  VisibilityLabels labels;
  if (document) {
    auto doc = json::parse(v.json);
    if (v.type == "DocumentReference") {
      category = access::document_category(codes_of(doc.value("category", json::array())), codes_of(doc.value("type", json::object())));
      binaries = fhir::attachment_binaries(doc);
      labels = visibility_labels(doc);
      // Only the author of a result withholds it from the patient (until the announcement).
      if (!professional) labels.withheld_from_patient = false;
    }
    if (category.empty()) category = professional ? "reports" : "patient-documents";
  }
  auto now_t = call.gate->clock().now();
  std::string now = format_instant(now_t);
  std::string until = format_instant(now_t + call.gate->withheld_release_after());
  int64_t withhold = labels.withheld_from_patient ? 1 : 0;
  auto row = [&](const std::string& type, const std::string& id) {
    return tx.exec(
        "INSERT INTO resource_access (compartment, resource_type, resource_id, author_idnatps, category, "
        "hidden_from_representatives, hidden_from_professionals, withheld_since, withheld_until) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (compartment, resource_type, resource_id) DO UPDATE SET category = excluded.category, "
        "author_idnatps = COALESCE(resource_access.author_idnatps, excluded.author_idnatps), "
        "hidden_from_representatives = CASE WHEN excluded.hidden_from_representatives = 1 THEN 1 "
        "ELSE resource_access.hidden_from_representatives END, "
        "hidden_from_professionals = CASE WHEN excluded.hidden_from_professionals = 1 THEN 1 "
        "ELSE resource_access.hidden_from_professionals END, "
        "withheld_since = CASE WHEN ? = 1 THEN COALESCE(resource_access.withheld_since, excluded.withheld_since) "
        "ELSE resource_access.withheld_since END, "
        // The author drops the label after the announcement consultation: released now.
        "withheld_until = CASE WHEN ? = 1 THEN COALESCE(resource_access.withheld_until, excluded.withheld_until) "
        "WHEN resource_access.withheld_until > ? THEN ? ELSE resource_access.withheld_until END",
        {target.compartment, type, id, professional ? store::Value(call.caller.actor.idnatps) : store::Value(nullptr),
         category.empty() ? store::Value(nullptr) : store::Value(category),
         int64_t(labels.hidden_from_representatives ? 1 : 0), int64_t(labels.hidden_from_professionals ? 1 : 0),
         withhold ? store::Value(now) : store::Value(nullptr), withhold ? store::Value(until) : store::Value(nullptr),
         withhold, withhold, now, now});
  };
  CARNET_RETURN_IF_ERROR(row(v.type, v.id).status());
  for (const auto& b : binaries) CARNET_RETURN_IF_ERROR(row("Binary", b).status());  // a document's content follows it
  return Status::ok();
}

json history_entry(std::string_view base, const fhir::ResourceVersion& v) {
  std::string rel = v.type + "/" + v.id;
  json entry = {{"fullUrl", std::string(base) + "/" + rel},
                {"request", {{"method", v.deleted ? "DELETE" : (v.version == 1 ? "POST" : "PUT")},
                             {"url", v.version == 1 && !v.deleted ? v.type : rel}}},
                {"response", {{"status", v.deleted ? "204" : (v.version == 1 ? "201" : "200")},
                              {"etag", "W/\"" + std::to_string(v.version) + "\""},
                              {"lastModified", v.last_updated}}}};
  if (!v.deleted) entry["resource"] = json::parse(v.json);
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

Result<Created> create_resource(store::Transaction& tx, fhir::ResourceStore& resources, const Call& call,
                                const Target& target, const json& doc, const std::optional<fhir::SearchQuery>& condition,
                                std::string_view id, DocumentStaging* docs, size_t key) {
  if (condition) {
    fhir::Searcher searcher(resources.index());
    auto found = searcher.run(tx, target.compartment, *condition);
    if (!found.is_ok()) return found.status();
    if (found->matches.size() > 1) return Status::precondition_failed("If-None-Exist matches several resources");
    if (found->matches.size() == 1) {
      // Someone other than the holder gets the match only if they added it themselves: a
      // condition must not reveal what the policy hides.
      if (call.caller.actor.kind == access::ActorKind::kProfessional) {
        auto author = tx.query_one(
            "SELECT 1 FROM resource_access WHERE compartment = ? AND resource_type = ? AND resource_id = ? AND author_idnatps = ?",
            {target.compartment, std::string(target.type->name), found->matches[0].first, call.caller.actor.idnatps});
        if (!author.is_ok()) return author.status();
        if (!*author) return Status::precondition_failed("a resource matching If-None-Exist already exists");
      }
      auto v = resources.read(tx, target.compartment, target.type->name, found->matches[0].first);
      if (!v.is_ok()) return v.status();
      return Created{std::move(*v), false};
    }
  }
  json body = doc;
  body.erase("id");  // the server assigns the id, as FHIR says for create
  stamp_recorder(call, target, body);  // each item says who entered it
  std::string rid(id);
  if (docs) {
    if (rid.empty()) rid = crypto::time_ordered_uuid();  // documents name their DocumentReference
    CARNET_RETURN_IF_ERROR(docs->before_write(tx, resources, call, target, body, rid, key));
  }
  if (!rid.empty()) body["id"] = rid;
  auto v = resources.create(tx, target.compartment, target.type->name, body.dump(), rid);
  if (!v.is_ok()) return v.status();
  CARNET_RETURN_IF_ERROR(record_author(tx, call, target, *v));
  if (docs) CARNET_RETURN_IF_ERROR(docs->after_write(tx, resources, call, target, *v, key));
  CARNET_RETURN_IF_ERROR(derive_bmi(tx, resources, call, target, body));
  // A document added by someone else is told to the holder (a withheld result only when
  // it is released).
  if (v->type == "DocumentReference" && call.caller.actor.kind != access::ActorKind::kHolder &&
      !(call.caller.actor.kind == access::ActorKind::kProfessional && visibility_labels(body).withheld_from_patient)) {
    std::string author = "Un de vos représentants";
    if (call.caller.actor.kind == access::ActorKind::kProfessional) {
      auto name = access::professional_name(tx, call.gate->ring(), call.gate->clock(), call.caller.actor.idnatps);
      if (name.is_ok()) author = *name;
    }
    CARNET_RETURN_IF_ERROR(identity::notify_holder(tx, call.gate->ring(), target.compartment, "new_document",
                                                   "document_added", {{"author", author}, {"date", v->last_updated.substr(0, 10)}},
                                                   v->last_updated));
    CARNET_RETURN_IF_ERROR(tx.publish(kDocumentsChannel, target.compartment));  // live views of the space
  }
  return Created{std::move(*v), true};
}

}  // namespace carnet::api::fhir_rest
