#include "api/fhir_profile.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "crypto/random.h"
#include "fhir/search.h"
#include "identity/directory.h"

namespace carnet::api::fhir_rest {
namespace {

using json = nlohmann::json;

constexpr char kLoinc[] = "http://loinc.org";
constexpr char kUcum[] = "http://unitsofmeasure.org";
constexpr char kOrganDonation[] = "44788-8";  // LOINC "Organ donor"
constexpr char kOrganDonorAnswers[] = "http://terminology.hl7.org/CodeSystem/v2-0316";

struct Measure {
  const char* code;
  const char* label;
  std::vector<const char*> units;
  double min, max;  // plausible values, in any of the units (checked loosely)
};

// FHIR R4 vital signs profiles (units from their required value sets) and blood glucose.
const std::vector<Measure>& measures() {
  static const std::vector<Measure> m = {
      {"29463-7", "poids", {"kg", "g", "[lb_av]"}, 0, 700000},
      {"8302-2", "taille", {"cm", "m", "[in_i]"}, 0, 300},
      {"39156-5", "indice de masse corporelle", {"kg/m2"}, 5, 150},
      {"8867-4", "fréquence cardiaque", {"/min"}, 10, 350},
      {"8480-6", "pression systolique", {"mm[Hg]"}, 30, 350},
      {"8462-4", "pression diastolique", {"mm[Hg]"}, 10, 250},
      {"2339-0", "glycémie", {"mg/dL", "g/L"}, 0, 2000},
      {"2345-7", "glycémie", {"mg/dL", "g/L"}, 0, 2000},
      {"15074-8", "glycémie", {"mmol/L"}, 0, 100},
      {"14749-6", "glycémie", {"mmol/L"}, 0, 100},
  };
  return m;
}

const Measure* measure_of(const json& codeable) {
  for (const auto& c : codeable.value("coding", json::array())) {
    if (c.value("system", "") != kLoinc) continue;
    for (const auto& m : measures()) {
      if (c.value("code", "") == m.code) return &m;
    }
  }
  return nullptr;
}

Status check_quantity(const Measure& m, const json& holder, const std::string& where) {
  auto q = holder.find("valueQuantity");
  if (q == holder.end()) {
    // No value yet (a measurement planned, or absent with a reason) is fine; any other kind
    // of value is not.
    for (const auto& [key, value] : holder.items()) {
      if (key.rfind("value", 0) == 0) {
        return Status::invalid(where + "." + key + ": une mesure de " + m.label + " est une quantité avec son unité (valueQuantity)");
      }
    }
    return Status::ok();
  }
  std::string system = q->value("system", ""), code = q->value("code", "");
  std::string allowed;
  for (const char* u : m.units) allowed += std::string(allowed.empty() ? "" : ", ") + u;
  if (system != kUcum || code.empty()) {
    return Status::invalid(where + ".valueQuantity: l'unité doit être donnée en UCUM (system " + kUcum + ", code parmi : " +
                           allowed + ")");
  }
  bool ok = false;
  for (const char* u : m.units) ok = ok || code == u;
  if (!ok) {
    return Status::invalid(where + ".valueQuantity.code: « " + code + " » n'est pas une unité de " + m.label +
                           " (unités acceptées : " + allowed + ")");
  }
  if (!q->contains("value") || !(*q)["value"].is_number()) {
    return Status::invalid(where + ".valueQuantity.value: la valeur est requise");
  }
  double v = (*q)["value"].get<double>();
  if (!std::isfinite(v) || v <= m.min || v > m.max) {
    return Status::invalid(where + ".valueQuantity.value: " + (*q)["value"].dump() + " " + code + " n'est pas une valeur plausible de " +
                           m.label);
  }
  return Status::ok();
}

std::string author_reference(const Call& call, const Target& target) {
  if (call.caller.actor.kind == access::ActorKind::kProfessional) {
    return "Practitioner/" + identity::practitioner_id(call.caller.actor.idnatps);
  }
  return "Patient/" + target.compartment;
}

// Value in kg or m from a weight or height Observation; nullopt when unusable.
std::optional<double> si_value(const json& obs, bool weight) {
  const json& q = obs.value("valueQuantity", json::object());
  if (!q.contains("value") || !q["value"].is_number()) return std::nullopt;
  double v = q["value"].get<double>();
  std::string unit = q.value("code", "");
  if (weight) {
    if (unit == "kg") return v;
    if (unit == "g") return v / 1000;
    if (unit == "[lb_av]") return v * 0.45359237;
  } else {
    if (unit == "cm") return v / 100;
    if (unit == "m") return v;
    if (unit == "[in_i]") return v * 0.0254;
  }
  return std::nullopt;
}

std::string effective_of(const json& obs) {
  if (obs.contains("effectiveDateTime")) return obs["effectiveDateTime"];
  if (obs.contains("effectiveInstant")) return obs["effectiveInstant"];
  return obs.value("meta", json::object()).value("lastUpdated", "");
}

// The latest Observation of `code` in the compartment (by effective date), or nullopt.
Result<std::optional<fhir::ResourceVersion>> latest(store::Transaction& tx, fhir::ResourceStore& resources,
                                                    const std::string& compartment, const std::string& code) {
  auto q = fhir::parse_search("Observation", {{"code", std::string(kLoinc) + "|" + code}, {"_sort", "-date"}, {"_count", "1"}},
                              true);
  if (!q.is_ok()) return q.status();
  q->criteria.push_back({fhir::find_search_param("Observation", "status"), "not", {"entered-in-error"}});
  fhir::Searcher searcher(resources.index());
  auto page = searcher.run(tx, compartment, *q);
  if (!page.is_ok()) return page.status();
  if (page->matches.empty()) return std::optional<fhir::ResourceVersion>();
  auto v = resources.vread(tx, compartment, "Observation", page->matches[0].first, page->matches[0].second);
  if (!v.is_ok()) return v.status();
  return std::optional<fhir::ResourceVersion>(std::move(*v));
}

}  // namespace

Status check_measurement(const json& obs) {
  // The organ-donation choice: one of the HL7 v2 "organ donor" answers.
  for (const auto& c : obs.value("code", json::object()).value("coding", json::array())) {
    if (c.value("system", "") != kLoinc || c.value("code", "") != kOrganDonation) continue;
    const json& v = obs.value("valueCodeableConcept", json::object());
    bool ok = false;
    for (const auto& a : v.value("coding", json::array())) {
      std::string code = a.value("code", "");
      ok = ok || (a.value("system", "") == kOrganDonorAnswers && std::string_view("YNRPUFI").find(code) != std::string_view::npos &&
                  code.size() == 1);
    }
    if (!ok) {
      return Status::invalid(std::string("Observation.valueCodeableConcept: le choix concernant le don d'organes est un code de ") +
                             kOrganDonorAnswers + " (Y oui, N non, R décision laissée aux proches, P à une personne désignée, U inconnu)");
    }
  }
  const Measure* m = measure_of(obs.value("code", json::object()));
  if (m) {
    CARNET_RETURN_IF_ERROR(check_quantity(*m, obs, "Observation"));
  }
  // Components (blood pressure): each known one in its unit.
  const auto& components = obs.value("component", json::array());
  for (size_t i = 0; i < components.size(); ++i) {
    const Measure* cm = measure_of(components[i].value("code", json::object()));
    if (cm) CARNET_RETURN_IF_ERROR(check_quantity(*cm, components[i], "Observation.component[" + std::to_string(i) + "]"));
  }
  // A blood pressure panel with measurements has both pressures.
  for (const auto& c : obs.value("code", json::object()).value("coding", json::array())) {
    if (c.value("system", "") == kLoinc && c.value("code", "") == "85354-9" && !components.empty()) {
      bool sys = false, dia = false;
      for (const auto& comp : components) {
        const Measure* cm = measure_of(comp.value("code", json::object()));
        if (cm && std::string(cm->code) == "8480-6") sys = true;
        if (cm && std::string(cm->code) == "8462-4") dia = true;
      }
      if (!sys || !dia) {
        return Status::invalid("Observation.component: une tension artérielle a une pression systolique (8480-6) et diastolique (8462-4)");
      }
    }
  }
  return Status::ok();
}

void stamp_recorder(const Call& call, const Target& target, json& r) {
  std::string type = r.value("resourceType", "");
  json who = {{"reference", author_reference(call, target)}};
  auto set_if_absent = [&](const char* field, bool array) {
    if (!r.contains(field)) r[field] = array ? json::array({who}) : who;
  };
  if (type == "AllergyIntolerance" || type == "Condition") {
    set_if_absent("recorder", false);
  } else if (type == "MedicationStatement") {
    set_if_absent("informationSource", false);
  } else if (type == "Observation") {
    set_if_absent("performer", true);
  } else if (type == "Immunization") {
    if (!r.contains("recorded")) r["recorded"] = format_instant(call.gate->clock().now());
    if (!r.contains("primarySource")) r["primarySource"] = call.caller.actor.kind == access::ActorKind::kProfessional;
    if (!r.contains("performer") && call.caller.actor.kind == access::ActorKind::kProfessional) {
      r["performer"] = json::array({{{"actor", who}}});
    }
  } else if (type == "DocumentReference") {
    set_if_absent("author", true);
  }
}

Status derive_bmi(store::Transaction& tx, fhir::ResourceStore& resources, const Call& call, const Target& target,
                  const json& obs) {
  if (target.type->name != "Observation") return Status::ok();
  const Measure* m = measure_of(obs.value("code", json::object()));
  if (!m || (std::string(m->code) != "29463-7" && std::string(m->code) != "8302-2")) return Status::ok();
  auto weight = latest(tx, resources, target.compartment, "29463-7");
  if (!weight.is_ok()) return weight.status();
  auto height = latest(tx, resources, target.compartment, "8302-2");
  if (!height.is_ok()) return height.status();
  if (!*weight || !*height) return Status::ok();
  json w = json::parse((*weight)->json), h = json::parse((*height)->json);
  auto kg = si_value(w, true);
  auto metres = si_value(h, false);
  if (!kg || !metres || *metres <= 0.3) return Status::ok();
  double bmi = std::round(*kg / (*metres * *metres) * 10) / 10;
  std::string when = std::max(effective_of(w), effective_of(h));
  json out = {{"resourceType", "Observation"},
              {"status", "final"},
              {"category", {{{"coding", {{{"system", "http://terminology.hl7.org/CodeSystem/observation-category"}, {"code", "vital-signs"}}}}}}},
              {"code", {{"coding", {{{"system", kLoinc}, {"code", "39156-5"}, {"display", "Body mass index (BMI) [Ratio]"}}}},
                        {"text", "Indice de masse corporelle"}}},
              {"subject", {{"reference", "Patient/" + target.compartment}}},
              {"effectiveDateTime", when},
              {"valueQuantity", {{"value", bmi}, {"unit", "kg/m2"}, {"system", kUcum}, {"code", "kg/m2"}}},
              {"derivedFrom", {{{"reference", "Observation/" + (*weight)->id}}, {{"reference", "Observation/" + (*height)->id}}}},
              {"note", {{{"text", "Calculé par Carnet à partir du dernier poids et de la dernière taille."}}}}};
  // Unchanged inputs: nothing to add.
  auto previous = latest(tx, resources, target.compartment, "39156-5");
  if (!previous.is_ok()) return previous.status();
  if (*previous) {
    json p = json::parse((*previous)->json);
    if (p.value("derivedFrom", json::array()) == out["derivedFrom"]) return Status::ok();
  }
  stamp_recorder(call, target, out);
  auto v = resources.create(tx, target.compartment, "Observation", out.dump());
  if (!v.is_ok()) return v.status();
  return record_author(tx, call, target, *v);
}

Response patient_summary(store::Store& store, fhir::ResourceStore& resources, const Call& call, const Target& target,
                         const Request& req) {
  struct Section {
    const char* type;
    const char* loinc;
    const char* title;
  };
  static const Section kSections[] = {
      {"AllergyIntolerance", "48765-2", "Allergies et intolérances"},
      {"Condition", "11450-4", "Problèmes de santé"},
      {"MedicationStatement", "10160-0", "Traitements"},
      {"Immunization", "11369-6", "Vaccinations"},
      {"Observation", "30954-2", "Résultats récents"},
  };
  std::string base = base_url(req);
  json entries = json::array();
  json sections = json::array();
  std::string patient_ref = "Patient/" + target.compartment;
  // What this caller may see of each type: the gate decides (and audits), as for a search.
  std::vector<Result<Target>> permitted;
  for (const auto& sec : kSections) permitted.push_back(authorize(call, sec.type, access::Action::kSearch, {}, patient_ref));
  Status s = store.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    // The patient: their Patient resource if they keep one.
    auto p = resources.read(tx, target.compartment, "Patient", target.compartment);
    json patient = p.is_ok() ? json::parse(p->json) : json{{"resourceType", "Patient"}, {"id", target.compartment}};
    entries.push_back({{"fullUrl", base + "/" + patient_ref}, {"resource", patient}});
    for (size_t si = 0; si < std::size(kSections); ++si) {
      const Section& sec = kSections[si];
      const Result<Target>& allowed = permitted[si];
      json section = {{"title", sec.title},
                      {"code", {{"coding", {{{"system", kLoinc}, {"code", sec.loinc}}}}}},
                      {"text", {{"status", "generated"}, {"div", ""}}}};
      std::vector<std::string> refs;
      std::vector<std::string> lines;
      if (allowed.is_ok()) {
        std::vector<std::pair<std::string, std::string>> params = {{"_sort", "-_lastUpdated"}, {"_count", "50"}};
        auto q = fhir::parse_search(sec.type, params, true);
        if (!q.is_ok()) return q.status();
        add_visibility(call, *allowed, *q);
        fhir::Searcher searcher(resources.index());
        auto page = searcher.run(tx, target.compartment, *q);
        if (!page.is_ok()) return page.status();
        for (const auto& [id, version] : page->matches) {
          auto v = resources.vread(tx, target.compartment, sec.type, id, version);
          if (!v.is_ok()) return v.status();
          json r = json::parse(v->json);
          std::string status = r.value("status", "");
          if (status == "entered-in-error") continue;
          std::string ref = std::string(sec.type) + "/" + id;
          refs.push_back(ref);
          entries.push_back({{"fullUrl", base + "/" + ref}, {"resource", r}});
          json code = r.contains("code") ? r["code"] : r.contains("vaccineCode") ? r["vaccineCode"]
                                                       : r.contains("medicationCodeableConcept") ? r["medicationCodeableConcept"]
                                                                                                 : json::object();
          std::string label = code.value("text", "");
          if (label.empty() && code.contains("coding") && !code["coding"].empty()) {
            label = code["coding"][0].value("display", code["coding"][0].value("code", ""));
          }
          lines.push_back(label.empty() ? ref : label);
        }
      }
      // The narrative, escaped (labels come from users).
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
      div += lines.empty() ? "<li>Aucune information</li></ul></div>" : "</ul></div>";
      section["text"]["div"] = div;
      if (refs.empty()) {
        section["emptyReason"] = {{"coding", {{{"system", "http://terminology.hl7.org/CodeSystem/list-empty-reason"},
                                               {"code", allowed.is_ok() ? "unavailable" : "withheld"}}}}};
      } else {
        for (const auto& r : refs) section["entry"].push_back({{"reference", r}});
      }
      sections.push_back(section);
    }
    return Status::ok();
  });
  if (!s.is_ok()) return outcome(s, req.request_id);
  std::string now = format_instant(call.gate->clock().now());
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
  json bundle = {{"resourceType", "Bundle"},
                 {"identifier", {{"system", "urn:ietf:rfc:3986"}, {"value", "urn:uuid:" + crypto::time_ordered_uuid()}}},
                 {"type", "document"},
                 {"timestamp", now},
                 {"entry", entries}};
  return Response::text(200, bundle.dump(), kFhirJson);
}

}  // namespace carnet::api::fhir_rest
