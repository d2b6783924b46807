// FHIR search: GET {type}?… and POST {type}/_search (form body). Results are searchset
// Bundles with keyset paging links; _include/_revinclude, _summary and _elements shape them.
// What the caller may not see is not found (access/visibility.h).
#include <algorithm>

#include <nlohmann/json.hpp>

#include "api/fhir_handlers.h"
#include "fhir/resource_types.h"
#include "fhir/stored_json.h"

namespace carnet::api::fhir_rest {
namespace {

using json = nlohmann::json;
using Pairs = std::vector<std::pair<std::string, std::string>>;

constexpr char kSubsetted[] = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";

// _summary and _elements: the parts of a resource the client asked for, marked SUBSETTED.
void shape(json& resource, const fhir::SearchQuery& q, const fhir::Validator& validator) {
  using S = fhir::SearchQuery::Summary;
  if (q.summary == S::kNone && q.elements.empty()) return;
  if (q.summary == S::kData) {
    resource.erase("text");
  } else {
    std::string type = fhir::text_of(resource, "resourceType");
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

// The searchset Bundle: links, then the entries spliced in as text (stored resources are
// already serialised JSON, and parsing them only to print them again would double the cost
// of a search).
std::string searchset(const fhir::SearchQuery& query, const access::Repository::Found& found,
                      const std::vector<fhir::ResourceVersion>& included, const Request& req) {
  std::string base = base_url(req);
  json bundle = {{"resourceType", "Bundle"}, {"type", "searchset"}};
  if (found.page.total) bundle["total"] = *found.page.total;
  json links = json::array({{{"relation", "self"}, {"url", page_link(base, query.type, query.echoed, query.cursor)}}});
  if (!found.page.next_cursor.empty()) {
    links.push_back({{"relation", "next"}, {"url", page_link(base, query.type, query.echoed, found.page.next_cursor)}});
  }
  if (!found.page.previous_cursor.empty()) {
    links.push_back({{"relation", "previous"}, {"url", page_link(base, query.type, query.echoed, found.page.previous_cursor)}});
  }
  bundle["link"] = links;
  std::vector<std::string> entries;
  auto add_entry = [&](const std::string& type, const std::string& id, const std::string& resource, const char* mode) {
    entries.push_back("{\"fullUrl\":" + json(base + "/" + type + "/" + id).dump() + ",\"resource\":" + resource +
                      ",\"search\":{\"mode\":\"" + mode + "\"}}");
  };
  bool shaped = query.summary != fhir::SearchQuery::Summary::kNone || !query.elements.empty();
  const fhir::Validator& validator = fhir::Validator::r4();
  for (const auto& v : found.matches) {
    if (!shaped) {
      add_entry(query.type, v.id, v.json, "match");
      continue;
    }
    json resource = json::parse(v.json, nullptr, false);
    if (!resource.is_object()) continue;
    shape(resource, query, validator);
    add_entry(query.type, v.id, resource.dump(), "match");
  }
  for (const auto& v : included) add_entry(v.type, v.id, v.json, "include");
  if (!query.ignored.empty()) {
    std::string names;
    for (const auto& n : query.ignored) names += (names.empty() ? "" : ", ") + n.substr(0, 60);
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
  return text;
}

}  // namespace

Response search(const FhirServices& s, const Request& req) {
  // The page's versions are immutable rows once the search statement has named them: no
  // snapshot is needed across the statements (a total may count a resource created since).
  return with_repository(
      s, req, store::TxMode::kReadEach,
      [&](access::Repository& repo) -> Result<Response> {
        if (!wants_json(req)) return not_acceptable(req);
        auto pairs = search_parameters(req);
        if (!pairs.is_ok()) return pairs.status();
        std::string type(req.param("type"));
        if (!fhir::find_resource_type(type)) {
          return Status::not_found("resource type '" + type.substr(0, 40) + "' is not supported");
        }
        if (type == "AuditEvent") return audit_search(repo, req, *pairs);
        bool strict = req.header("prefer").find("handling=strict") != std::string_view::npos;
        auto query = fhir::parse_search(type, *pairs, strict);
        if (!query.is_ok()) return query.status();
        auto found = repo.search(*query, patient_of_search(type, *pairs));
        if (!found.is_ok()) return found.status();
        auto included = repo.included(*query, *found);
        if (!included.is_ok()) return included.status();
        return Response::text(200, searchset(*query, *found, *included, req), kFhirJson);
      },
      /*remembered=*/true);
}

}  // namespace carnet::api::fhir_rest
