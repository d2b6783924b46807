// The CapabilityStatement (GET /fhir/r4/metadata), derived from the registered routes, the
// resource-type table and the search-parameter table: it lists exactly what works.
#include <nlohmann/json.hpp>

#include "api/fhir_handlers.h"
#include "fhir/resource_types.h"
#include "fhir/search_params.h"

namespace carnet::api::fhir_rest {

using json = nlohmann::json;

Route capability_route(const std::vector<Route>& routes) {
  struct Interaction {
    std::string code;
    bool write;
  };
  std::vector<Interaction> interactions;
  bool search = false, batch = false;
  for (const auto& r : routes) {
    const std::string& p = r.pattern;
    if (r.method == "GET" && p == "/fhir/r4/{type}/{id}") interactions.push_back({"read", false});
    if (r.method == "GET" && p == "/fhir/r4/{type}/{id}/_history/{vid}") interactions.push_back({"vread", false});
    if (r.method == "GET" && p == "/fhir/r4/{type}/{id}/_history") interactions.push_back({"history-instance", false});
    if (r.method == "GET" && p == "/fhir/r4/{type}/_history") interactions.push_back({"history-type", false});
    if (r.method == "GET" && p == "/fhir/r4/{type}") interactions.push_back({"search-type", false}), search = true;
    if (r.method == "POST" && p == "/fhir/r4/{type}") interactions.push_back({"create", true});
    if (r.method == "PUT" && p == "/fhir/r4/{type}/{id}") interactions.push_back({"update", true});
    if (r.method == "DELETE" && p == "/fhir/r4/{type}/{id}") interactions.push_back({"delete", true});
    if (r.method == "POST" && p == "/fhir/r4") batch = true;
  }
  json resources = json::array();
  for (auto* t = fhir::resource_types_begin(); t != fhir::resource_types_end(); ++t) {
    bool writable = t->placement == fhir::Placement::kSpace && !t->read_only;
    // The audit trail (AuditEvent) is generated from the hash chain: read and a paged
    // search only, no history of its own and no search parameter.
    bool audit = std::string_view(t->name) == "AuditEvent";
    json list = json::array();
    for (const auto& i : interactions) {
      if (audit && i.code != "read" && i.code != "search-type") continue;
      if (!i.write || writable) list.push_back({{"code", i.code}});
    }
    json entry = {{"type", t->name},
                  {"profile", "http://hl7.org/fhir/StructureDefinition/" + std::string(t->name)},
                  {"interaction", list},
                  {"versioning", audit ? "no-version" : "versioned"},
                  {"readHistory", !audit},
                  {"updateCreate", writable},
                  {"conditionalCreate", writable},
                  {"conditionalRead", "not-supported"},
                  {"conditionalUpdate", false},
                  {"conditionalDelete", "not-supported"}};
    if (search && !audit) {
      json params = json::array();
      json includes = json::array();
      for (const auto& p : fhir::search_params(t->name)) {
        json sp = {{"name", p.name}, {"type", fhir::param_kind_name(p.kind)}};
        if (!p.documentation.empty()) sp["documentation"] = p.documentation;
        params.push_back(sp);
        if (p.kind == fhir::ParamKind::kReference) includes.push_back(std::string(t->name) + ":" + std::string(p.name));
      }
      entry["searchParam"] = params;
      if (!includes.empty()) entry["searchInclude"] = includes;
      json rev = json::array();
      for (auto* s = fhir::resource_types_begin(); s != fhir::resource_types_end(); ++s) {
        if ((s->placement == fhir::Placement::kDirectory) != (t->placement == fhir::Placement::kDirectory)) continue;
        for (const auto& p : fhir::search_params(s->name)) {
          if (p.kind == fhir::ParamKind::kReference) rev.push_back(std::string(s->name) + ":" + std::string(p.name));
        }
      }
      if (!rev.empty()) entry["searchRevInclude"] = rev;
    }
    resources.push_back(entry);
  }
  json rest = {{"mode", "server"},
               {"documentation", "Search pages hold 20 entries by default and at most 200 (_count)."},
               {"resource", resources}};
  if (batch) rest["interaction"] = json::array({{{"code", "batch"}}, {{"code", "transaction"}}});
  if (search) {
    rest["searchParam"] = json::array({{{"name", "_id"}, {"type", "token"}}, {{"name", "_lastUpdated"}, {"type", "date"}}});
  }
  std::string capability = json{{"resourceType", "CapabilityStatement"},
                                {"status", "active"},
                                {"date", "2026-11-22"},
                                {"publisher", "Carnet"},
                                {"kind", "instance"},
                                {"software", {{"name", "Carnet"}, {"version", "0.1.0"}}},
                                {"implementation", {{"description", "Carnet personal health space"}}},
                                {"fhirVersion", "4.0.1"},
                                {"format", {"application/fhir+json", "json"}},
                                {"rest", {rest}}}
                               .dump();
  return {"GET", "/fhir/r4/metadata", "", [capability](const Request& req) {
            if (!wants_json(req)) return not_acceptable(req);
            return Response::text(200, capability, kFhirJson);
          }, 0, Execution::kInline};
}

}  // namespace carnet::api::fhir_rest
