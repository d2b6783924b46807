#include "profile/measures.h"
#include "profile/profile.h"

#include <iterator>

#include <nlohmann/json.hpp>

#include "crypto/random.h"
#include "fhir/search.h"

namespace carnet::profile {
namespace {

using json = nlohmann::json;

struct Section {
  const char* type;
  const char* loinc;
  const char* title;
};
constexpr Section kSections[] = {
    {"AllergyIntolerance", "48765-2", "Allergies et intolérances"},
    {"Condition", "11450-4", "Problèmes de santé"},
    {"MedicationStatement", "10160-0", "Traitements"},
    {"Immunization", "11369-6", "Vaccinations"},
    {"Observation", "30954-2", "Résultats récents"},
};

// How an item is named in the narrative: its code's text or display, else its reference.
std::string label_of(const json& r, const std::string& ref) {
  json code = json::object();
  for (const char* field : {"code", "vaccineCode", "medicationCodeableConcept"}) {
    if (r.contains(field) && r[field].is_object()) {
      code = r[field];
      break;
    }
  }
  std::string label = code.contains("text") && code["text"].is_string() ? code["text"].get<std::string>() : "";
  if (label.empty() && code.contains("coding") && code["coding"].is_array() && !code["coding"].empty()) {
    const json& c = code["coding"][0];
    if (c.contains("display") && c["display"].is_string()) label = c["display"];
    else if (c.contains("code") && c["code"].is_string()) label = c["code"];
  }
  return label.empty() ? ref : label;
}

// The narrative, escaped (labels come from users).
std::string narrative(const std::vector<std::string>& lines) {
  std::string div = "<div xmlns=\"http://www.w3.org/1999/xhtml\"><ul>";
  for (const auto& l : lines) {
    div += "<li>";
    for (char c : l) {
      if (c == '<') div += "&lt;";
      else if (c == '>') div += "&gt;";
      else if (c == '&') div += "&amp;";
      else div += c;
    }
    div += "</li>";
  }
  return div + (lines.empty() ? "<li>Aucune information</li></ul></div>" : "</ul></div>");
}

// One section: what the caller may find of its type (a search of it, decided and audited).
Result<json> section(access::Repository& repo, const Section& sec, const std::string& patient_ref,
                     const std::string& base, json& entries) {
  json out = {{"title", sec.title}, {"code", {{"coding", {{{"system", kLoinc}, {"code", sec.loinc}}}}}}};
  auto q = fhir::parse_search(sec.type, {{"_sort", "-_lastUpdated"}, {"_count", "50"}}, true);
  if (!q.is_ok()) return q.status();
  auto found = repo.search(std::move(*q), patient_ref);
  bool withheld = !found.is_ok();
  if (withheld && found.status().code() != ErrorCode::kForbidden) return found.status();
  std::vector<std::string> refs, lines;
  if (!withheld) {
    for (const auto& v : found->matches) {
      json r = json::parse(v.json, nullptr, false);
      if (!r.is_object() || r.value("status", json()) == "entered-in-error") continue;
      std::string ref = std::string(sec.type) + "/" + v.id;
      refs.push_back(ref);
      lines.push_back(label_of(r, ref));
      entries.push_back({{"fullUrl", base + "/" + ref}, {"resource", std::move(r)}});
    }
  }
  out["text"] = {{"status", "generated"}, {"div", narrative(lines)}};
  if (refs.empty()) {
    out["emptyReason"] = {{"coding", {{{"system", "http://terminology.hl7.org/CodeSystem/list-empty-reason"},
                                       {"code", withheld ? "withheld" : "unavailable"}}}}};
  } else {
    for (const auto& r : refs) out["entry"].push_back({{"reference", r}});
  }
  return out;
}

}  // namespace

Result<json> patient_summary(access::Repository& repo, std::string_view patient, const std::string& base) {
  std::string_view named = patient.substr(0, 8) == "Patient/" ? patient.substr(8) : patient;
  if (repo.actor().kind != access::ActorKind::kProfessional && !named.empty() && named != repo.caller().acting_space) {
    return Status::forbidden("only the summary of your own space (or of a space you act for)");
  }
  // The person's record as a whole: decided (and audited) as a search of the Patient.
  auto space = repo.space_for(patient);
  if (!space.is_ok()) return space.status();
  std::string patient_ref = "Patient/" + *space;
  auto pq = fhir::parse_search("Patient", {{"_id", *space}}, true);
  if (!pq.is_ok()) return pq.status();
  auto person = repo.search(std::move(*pq), patient_ref);
  if (!person.is_ok()) return person.status();
  json entries = json::array();
  json person_resource = person->matches.empty() ? json{{"resourceType", "Patient"}, {"id", *space}}
                                         : json::parse(person->matches.front().json, nullptr, false);
  entries.push_back({{"fullUrl", base + "/" + patient_ref}, {"resource", person_resource}});
  json sections = json::array();
  for (const auto& sec : kSections) {
    auto s = section(repo, sec, patient_ref, base, entries);
    if (!s.is_ok()) return s.status();
    sections.push_back(std::move(*s));
  }
  std::string now = format_instant(repo.clock().now());
  std::string composition_id = crypto::time_ordered_uuid();
  json composition = {{"resourceType", "Composition"},
                      {"id", composition_id},
                      {"status", "final"},
                      {"type", {{"coding", {{{"system", kLoinc}, {"code", "60591-5"}, {"display", "Patient summary Document"}}}}}},
                      {"subject", {{"reference", patient_ref}}},
                      {"date", now},
                      {"author", {{{"display", "Carnet"}}}},
                      {"title", "Synthèse médicale du patient"},
                      {"confidentiality", "N"},
                      {"section", sections}};
  entries.insert(entries.begin(), json{{"fullUrl", base + "/Composition/" + composition_id}, {"resource", composition}});
  return json{{"resourceType", "Bundle"},
              {"identifier", {{"system", "urn:ietf:rfc:3986"}, {"value", "urn:uuid:" + crypto::time_ordered_uuid()}}},
              {"type", "document"},
              {"timestamp", now},
              {"entry", entries}};
}

}  // namespace carnet::profile
