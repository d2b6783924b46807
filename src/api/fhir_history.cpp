// FHIR history: of one resource (GET {type}/{id}/_history) and of a type in the caller's space
// (GET {type}/_history), newest first, a page at a time.
#include <nlohmann/json.hpp>

#include "api/fhir_handlers.h"
#include "fhir/datetime.h"

namespace carnet::api::fhir_rest {

namespace {

using json = nlohmann::json;
using Pairs = std::vector<std::pair<std::string, std::string>>;

struct HistoryParams {
  int count = fhir::kDefaultPageSize;
  std::string since, cursor;
  Pairs echoed;
};

Result<HistoryParams> history_params(const Request& req) {
  auto pairs = decode_form(req.query);
  if (!pairs.is_ok()) return pairs.status();
  HistoryParams p;
  for (const auto& [name, value] : *pairs) {
    if (name == "_count") {
      if (value.empty() || value.size() > 9 || value.find_first_not_of("0123456789") != std::string::npos || value == "0") {
        return Status::invalid("_count must be a whole number ≥ 1");
      }
      p.count = std::min(std::stoi(value), fhir::kMaxPageSize);
      p.echoed.emplace_back(name, value);
    } else if (name == "_since") {
      auto r = fhir::time_range(value, /*lenient=*/true);
      if (!r) return Status::invalid("_since must be an instant, e.g. 2024-03-05T10:00:00Z");
      p.since = fhir::instant_text(r->low);
      p.echoed.emplace_back(name, value);
    } else if (name == "_cursor") {
      p.cursor = value;
    } else if (name != "_format") {
      return Status(ErrorCode::kInvalid, "history takes _count, _since and _cursor only, not '" + name.substr(0, 40) + "'");
    }
  }
  return p;
}

}  // namespace

Response instance_history(const FhirServices& s, const Request& req) {
  return with_repository(s, req, store::TxMode::kRead, [&](access::Repository& repo) -> Result<Response> {
    if (!wants_json(req)) return not_acceptable(req);
    json bundle = {{"resourceType", "Bundle"}, {"type", "history"}, {"entry", json::array()}};
    std::string base = base_url(req);
    CARNET_RETURN_IF_ERROR(repo.history(req.param("type"), req.param("id"), [&](const fhir::ResourceVersion& v) {
      bundle["entry"].push_back(history_entry(base, v));
      return Status::ok();
    }));
    bundle["total"] = bundle["entry"].size();
    return Response::text(200, bundle.dump(), kFhirJson);
  });
}

Response type_history(const FhirServices& s, const Request& req) {
  return with_repository(s, req, store::TxMode::kRead, [&](access::Repository& repo) -> Result<Response> {
    if (!wants_json(req)) return not_acceptable(req);
    auto p = history_params(req);
    if (!p.is_ok()) return p.status();
    std::string type(req.param("type"));
    auto page = repo.type_history(type, p->since, p->cursor, p->count);
    if (!page.is_ok()) return page.status();
    std::string base = base_url(req), path = type + "/_history";
    json links = json::array({{{"relation", "self"}, {"url", page_link(base, path, p->echoed, p->cursor)}}});
    if (!page->next_cursor.empty()) {
      links.push_back({{"relation", "next"}, {"url", page_link(base, path, p->echoed, page->next_cursor)}});
    }
    json entries = json::array();
    for (const auto& v : page->versions) entries.push_back(history_entry(base, v));
    json bundle = {{"resourceType", "Bundle"}, {"type", "history"}, {"link", links}};
    if (!entries.empty()) bundle["entry"] = std::move(entries);
    return Response::text(200, bundle.dump(), kFhirJson);
  });
}

}  // namespace carnet::api::fhir_rest
