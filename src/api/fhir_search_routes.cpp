// FHIR search over REST: GET /fhir/r4/{type}?…, POST /fhir/r4/{type}/_search (form body),
// and type history GET /fhir/r4/{type}/_history. Results are searchset Bundles with
// keyset paging links; _include/_revinclude, _summary and _elements shape them.
#include <nlohmann/json.hpp>

#include "api/fhir_common.h"
#include "fhir/datetime.h"
#include "fhir/search.h"

namespace carnet::api::fhir_rest {
namespace {

using json = nlohmann::json;
using Pairs = std::vector<std::pair<std::string, std::string>>;

constexpr char kSubsetted[] = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";

std::string link_url(const std::string& base, std::string_view type, const Pairs& params, const std::string& cursor) {
  std::string url = base + "/" + std::string(type);
  char sep = '?';
  for (const auto& [name, value] : params) {
    url += sep + query_escape(name) + "=" + query_escape(value);
    sep = '&';
  }
  if (!cursor.empty()) url += sep + std::string("_cursor=") + cursor;
  return url;
}

// _summary and _elements: the parts of a resource the client asked for, marked SUBSETTED.
void shape(json& resource, const fhir::SearchQuery& q, const fhir::Validator& validator) {
  using S = fhir::SearchQuery::Summary;
  if (q.summary == S::kNone && q.elements.empty()) return;
  if (q.summary == S::kData) {
    resource.erase("text");
  } else {
    std::string type = resource.value("resourceType", "");
    json kept = json::object();
    for (auto& [key, value] : resource.items()) {
      bool keep = key == "resourceType" || key == "id" || key == "meta";
      if (q.summary == S::kTrue) keep = keep || validator.in_summary(type, key);
      if (q.summary == S::kText) keep = keep || key == "text";
      if (!q.elements.empty()) keep = keep || std::find(q.elements.begin(), q.elements.end(), key) != q.elements.end();
      if (keep) kept[key] = std::move(value);
    }
    resource = std::move(kept);
  }
  json& tags = resource["meta"]["tag"];
  if (!tags.is_array()) tags = json::array();
  tags.push_back({{"system", kSubsetted}, {"code", "SUBSETTED"}});
}

// Query parameters, plus the form body of POST _search.
Result<Pairs> search_parameters(const Request& req) {
  auto pairs = decode_form(req.query);
  if (!pairs.is_ok()) return pairs.status();
  if (req.method == "POST") {
    std::string_view ct = req.header("content-type");
    ct = ct.substr(0, ct.find(';'));
    if (ct != "application/x-www-form-urlencoded") {
      return Status::invalid("POST _search takes its parameters as application/x-www-form-urlencoded");
    }
    auto body = decode_form(req.body);
    if (!body.is_ok()) return body.status();
    pairs->insert(pairs->end(), body->begin(), body->end());
  }
  return pairs;
}

Response search(fhir::ResourceStore& resources, store::Store& store, identity::Accounts& accounts, access::Gate& gate,
                const Request& req) {
  auto call = authenticate_call(accounts, gate, req, /*confirmed_by_gate=*/true);
  if (!call.is_ok()) return outcome(call.status(), req.request_id);
  if (!wants_json(req)) {
    Status s = confirm_call(accounts, *call, req);
    return s.is_ok() ? not_acceptable(req) : outcome(s, req.request_id);
  }
  auto pairs = search_parameters(req);
  if (!pairs.is_ok()) {
    Status s = confirm_call(accounts, *call, req);
    return outcome(s.is_ok() ? pairs.status() : s, req.request_id);
  }
  auto target = authorize_call(accounts, *call, req, req.param("type"), access::Action::kSearch, {},
                               patient_of_search(req.param("type"), *pairs));
  if (!target.is_ok()) return outcome(target.status(), req.request_id);
  if (target->type->name == "AuditEvent") return audit_search(gate.audit(), store, *target, req, *pairs);
  bool strict = req.header("prefer").find("handling=strict") != std::string_view::npos;
  auto query = fhir::parse_search(target->type->name, *pairs, strict);
  if (!query.is_ok()) return outcome(query.status(), req.request_id);
  add_visibility(*call, *target, *query);
  const fhir::Validator& validator = fhir::Validator::r4();
  // The page's versions are immutable rows once the search statement has named them: no
  // snapshot is needed across the statements (a total may count a resource created since).
  return run(store, req, store::TxMode::kReadEach, [&](store::Transaction& tx) -> Result<Response> {
    fhir::Searcher searcher(resources.index());
    auto page = searcher.run(tx, target->compartment, *query);
    if (!page.is_ok()) return page.status();
    std::string base = base_url(req);
    json bundle = {{"resourceType", "Bundle"}, {"type", "searchset"}};
    if (page->total) bundle["total"] = *page->total;
    json links = json::array({{{"relation", "self"}, {"url", link_url(base, query->type, query->echoed, query->cursor)}}});
    if (!page->next_cursor.empty()) {
      links.push_back({{"relation", "next"}, {"url", link_url(base, query->type, query->echoed, page->next_cursor)}});
    }
    if (!page->previous_cursor.empty()) {
      links.push_back({{"relation", "previous"}, {"url", link_url(base, query->type, query->echoed, page->previous_cursor)}});
    }
    bundle["link"] = links;
    // Entries are spliced in as text: stored resources are already serialised JSON, and
    // parsing them only to print them again would double the cost of a search.
    std::vector<std::string> entries;
    auto add_entry = [&](const std::string& type, const std::string& id, const std::string& resource, const char* mode) {
      entries.push_back("{\"fullUrl\":" + json(base + "/" + type + "/" + id).dump() + ",\"resource\":" + resource +
                        ",\"search\":{\"mode\":\"" + mode + "\"}}");
    };
    auto matches = resources.vread_many(tx, target->compartment, query->type, page->matches);
    if (!matches.is_ok()) return matches.status();
    bool shaped = query->summary != fhir::SearchQuery::Summary::kNone || !query->elements.empty();
    for (const auto& v : *matches) {
      if (!shaped) {
        add_entry(query->type, v.id, v.json, "match");
        continue;
      }
      json resource = json::parse(v.json);
      shape(resource, *query, validator);
      add_entry(query->type, v.id, resource.dump(), "match");
    }
    auto included = searcher.includes(tx, target->compartment, *query, *page);
    if (!included.is_ok()) return included.status();
    for (const auto& ref : *included) {
      // Included resources come from the caller's own compartment or the directory, never
      // from elsewhere.
      auto where = authorize(*call, ref.type, access::Action::kRead, ref.id);
      if (!where.is_ok()) continue;
      if (where->compartment != target->compartment && where->compartment != fhir::kDirectoryCompartment) continue;
      auto v = resources.read(tx, where->compartment, ref.type, ref.id);
      if (!v.is_ok()) continue;  // deleted or dangling references are left out
      add_entry(ref.type, ref.id, v->json, "include");
    }
    if (!query->ignored.empty()) {
      std::string names;
      for (const auto& n : query->ignored) names += (names.empty() ? "" : ", ") + n.substr(0, 60);
      json oo = {{"resourceType", "OperationOutcome"},
                 {"issue", {{{"severity", "warning"}, {"code", "not-supported"},
                             {"diagnostics", "unknown search parameters ignored: " + names}}}}};
      entries.push_back(json{{"resource", oo}, {"search", {{"mode", "outcome"}}}}.dump());
    }
    std::string text = bundle.dump();
    if (!entries.empty()) {
      text.pop_back();  // the closing brace of the Bundle object
      text += ",\"entry\":[";
      for (size_t i = 0; i < entries.size(); ++i) text += (i ? "," : "") + entries[i];
      text += "]}";
    }
    return Response::text(200, std::move(text), kFhirJson);
  });
}

Response type_history(fhir::ResourceStore& resources, store::Store& store, identity::Accounts& accounts,
                      access::Gate& gate, const Request& req) {
  auto call = authenticate_call(accounts, gate, req);
  if (!call.is_ok()) return outcome(call.status(), req.request_id);
  auto target = authorize(*call, req.param("type"), access::Action::kSearch);
  if (!target.is_ok()) return outcome(target.status(), req.request_id);
  auto pairs = decode_form(req.query);
  if (!pairs.is_ok()) return outcome(pairs.status(), req.request_id);
  int count = fhir::kDefaultPageSize;
  std::string since, cursor;
  Pairs echoed;
  for (const auto& [name, value] : *pairs) {
    if (name == "_count") {
      if (value.empty() || value.size() > 9 || value.find_first_not_of("0123456789") != std::string::npos || value == "0") {
        return outcome(400, "invalid", "_count must be a whole number ≥ 1", req.request_id);
      }
      count = std::min(std::stoi(value), fhir::kMaxPageSize);
      echoed.emplace_back(name, value);
    } else if (name == "_since") {
      auto r = fhir::time_range(value, /*lenient=*/true);
      if (!r) return outcome(400, "invalid", "_since must be an instant, e.g. 2024-03-05T10:00:00Z", req.request_id);
      since = fhir::instant_text(r->low);
      echoed.emplace_back(name, value);
    } else if (name == "_cursor") {
      cursor = value;
    } else if (name != "_format") {
      return outcome(400, "not-supported", "history takes _count, _since and _cursor only, not '" + name.substr(0, 40) + "'",
                     req.request_id);
    }
  }
  return run(store, req, false, [&](store::Transaction& tx) -> Result<Response> {
    auto page = resources.type_history(tx, target->compartment, target->type->name, since, cursor, count);
    if (!page.is_ok()) return page.status();
    std::string base = base_url(req);
    std::string self = base + "/" + std::string(target->type->name) + "/_history";
    json links = json::array({{{"relation", "self"}, {"url", link_url(base, std::string(target->type->name) + "/_history", echoed, cursor)}}});
    if (!page->next_cursor.empty()) {
      links.push_back({{"relation", "next"},
                       {"url", link_url(base, std::string(target->type->name) + "/_history", echoed, page->next_cursor)}});
    }
    json entries = json::array();
    for (const auto& v : page->versions) entries.push_back(history_entry(base, v));
    json bundle = {{"resourceType", "Bundle"}, {"type", "history"}, {"link", links}};
    if (!entries.empty()) bundle["entry"] = std::move(entries);
    return Response::text(200, bundle.dump(), kFhirJson);
  });
}

}  // namespace

void add_search_routes(std::vector<Route>& routes, identity::Accounts& accounts, access::Gate& gate, store::Store& store,
                       std::shared_ptr<fhir::ResourceStore> resources) {
  routes.push_back({"GET", "/fhir/r4/{type}", "", [&accounts, &gate, &store, resources](const Request& req) {
                      return search(*resources, store, accounts, gate, req);
                    }});
  routes.push_back({"POST", "/fhir/r4/{type}/_search", "", [&accounts, &gate, &store, resources](const Request& req) {
                      return search(*resources, store, accounts, gate, req);
                    }, 64 << 10});
  routes.push_back({"GET", "/fhir/r4/{type}/_history", "", [&accounts, &gate, &store, resources](const Request& req) {
                      return type_history(*resources, store, accounts, gate, req);
                    }});
}

}  // namespace carnet::api::fhir_rest
